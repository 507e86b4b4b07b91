package httpapi

import (
	"bytes"
	"fmt"
	"time"

	"github.com/gridd/gridd/internal/analytics"
	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/msg"
	"github.com/gridd/gridd/internal/report"
	"github.com/gridd/gridd/internal/workday"
	"github.com/xuri/excelize/v2"
)

// statsHeader is the header of a statistics table whose first column is key.
func statsHeader(t texts, key msg.Key) []any {
	return []any{t.T(key), t.T(msg.ColReported), t.T(msg.ColProblems), t.T(msg.ColFoundByGrid), t.T(msg.ColDiscoveryRate),
		t.T(msg.ColReportRate), t.T(msg.ColAccepted), t.T(msg.ColDisposalRate), t.T(msg.ColClosed), t.T(msg.ColOnTimeRate),
		t.T(msg.ColReworkRate), t.T(msg.ColMeanDays), t.T(msg.ColRank)}
}

// rate is a ratio for a spreadsheet cell: the number, or "no data".
func rate(t texts, p *float64) any {
	if p == nil {
		return t.T(msg.ReportNoData)
	}
	return *p
}

func statsRow(t texts, name string, r *casework.StatsRow) []any {
	var rank any = ""
	if r.Rank != nil {
		rank = *r.Rank
	}
	return []any{name, r.Reported, r.Problems, r.FoundByGrid, rate(t, r.DiscoveryRate), rate(t, r.ReportRate), r.Accepted,
		rate(t, r.DisposalRate), r.Closed, rate(t, r.OnTimeRate), rate(t, r.ReworkRate), rate(t, r.MeanHandlingDays), rank}
}

func statsRows(t texts, key msg.Key, st *casework.Stats, names map[string]string) [][]any {
	rows := [][]any{statsHeader(t, key)}
	for _, g := range st.Groups {
		n := g.Key
		if v, ok := names[g.Key]; ok {
			n = v + " (" + g.Key + ")"
		}
		rows = append(rows, statsRow(t, n, g))
	}
	return append(rows, statsRow(t, t.T(msg.ReportTotal), st.Total))
}

func hotspotRows(t texts, hs []analytics.CellResult) [][]any {
	rows := [][]any{{t.T(msg.ColCell), t.T(msg.ColCount), t.T(msg.ColZ), t.T(msg.ColQ), t.T(msg.ColTrend), t.T(msg.ColCentre)}}
	for _, h := range hs {
		ll := h.Cell.LatLng()
		rows = append(rows, []any{h.Cell.String(), h.Count, fmt.Sprintf("%.2f", h.Z), fmt.Sprintf("%.3g", h.Q),
			t.T(trendKeys[h.Trend]), fmt.Sprintf("%.5f,%.5f", ll.Lng, ll.Lat)})
	}
	return rows
}

func ledgerRows(t texts, cs []*casework.Case) [][]any {
	yes := func(b bool) string {
		if b {
			return t.T(msg.ReportYes)
		}
		return t.T(msg.ReportNo)
	}
	at := func(p *time.Time) string {
		if p == nil {
			return ""
		}
		return p.In(workday.Shanghai()).Format("2006-01-02 15:04")
	}
	rows := [][]any{{t.T(msg.ColNumber), t.T(msg.ColReportedAt), t.T(msg.ColCategory), t.T(msg.ColSource), t.T(msg.ColGrid),
		t.T(msg.ColStatus), t.T(msg.ColLeadUnit), t.T(msg.ColAcceptedAt), t.T(msg.ColClosedAt), t.T(msg.ColHandledOnTime),
		t.T(msg.ColDescription)}}
	for _, c := range cs {
		onTime := ""
		if c.HandledOnTime != nil {
			onTime = yes(*c.HandledOnTime)
		}
		cat := c.Category
		if c.CategoryName != "" {
			cat += " " + c.CategoryName
		}
		rows = append(rows, []any{c.Number, at(&c.ReportedAt), cat, string(c.Source), c.GridCode, t.Status(string(c.Status)),
			c.LeadUnit, at(c.AcceptedAt), at(c.ClosedAt), onTime, c.Description})
	}
	return rows
}

func gridNames(pk *report.Pack) map[string]string {
	m := map[string]string{}
	for _, g := range pk.Grids {
		m[g.Code] = g.Name
	}
	return m
}

// PackWorkbook writes a meeting pack as xlsx: a summary sheet with the map
// image, the figures by unit and by village, the hot spots and the ledger.
func PackWorkbook(pk *report.Pack, t texts) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	summary := t.T(msg.ReportSheetSummary)
	if err := f.SetSheetName("Sheet1", summary); err != nil {
		return nil, err
	}
	title := t.T(msg.ReportTitleWeek, pk.Period.Label)
	if pk.Period.Kind == "month" {
		title = t.T(msg.ReportTitleMonth, pk.Period.Label)
	}
	loc := workday.Shanghai()
	head := [][]any{{title},
		{t.T(msg.ReportPeriod, pk.Period.From.In(loc).Format("2006-01-02"), pk.Period.To.In(loc).AddDate(0, 0, -1).Format("2006-01-02"))},
		{t.T(msg.ReportAsOf, pk.AsOf.In(loc).Format("2006-01-02 15:04"))}, {t.T(msg.ReportLegend)}}
	if err := writeRows(f, summary, head); err != nil {
		return nil, err
	}
	if err := f.AddPictureFromBytes(summary, "A6", &excelize.Picture{Extension: ".png", File: pk.Map,
		Format: &excelize.GraphicOptions{ScaleX: 0.6, ScaleY: 0.6}}); err != nil {
		return nil, err
	}
	names := gridNames(pk)
	sheets := []struct {
		name msg.Key
		rows [][]any
	}{
		{msg.ReportSecUnits, statsRows(t, msg.ColUnit, pk.ByUnit, nil)},
		{msg.ReportSecVillages, statsRows(t, msg.ColVillage, pk.ByVillage, names)},
		{msg.ReportSecHotspots, hotspotRows(t, pk.Hotspots)},
		{msg.ReportSecLedger, ledgerRows(t, pk.Ledger)},
	}
	for _, sh := range sheets {
		name := sheetName(t.T(sh.name))
		if _, err := f.NewSheet(name); err != nil {
			return nil, err
		}
		if err := writeRows(f, name, sh.rows); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// sheetName keeps a sheet name within Excel's 31 characters and without
// the characters it refuses.
func sheetName(s string) string {
	out := []rune{}
	for _, r := range s {
		switch r {
		case ':', '\\', '/', '?', '*', '[', ']':
			continue
		}
		out = append(out, r)
	}
	if len(out) > 31 {
		out = out[:31]
	}
	return string(out)
}

// LedgerWorkbook writes the case ledger (台账) as xlsx.
func LedgerWorkbook(cs []*casework.Case, t texts, from, to string) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	name := sheetName(t.T(msg.ReportSecLedger))
	if err := f.SetSheetName("Sheet1", name); err != nil {
		return nil, err
	}
	rows := append([][]any{{t.T(msg.ReportLedgerTitle, from, to)}}, ledgerRows(t, cs)...)
	if err := writeRows(f, name, rows); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
