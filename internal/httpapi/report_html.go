package httpapi

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"

	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/msg"
	"github.com/gridd/gridd/internal/report"
	"github.com/gridd/gridd/internal/workday"
)

// packPage is the printable meeting pack: the same tables as the
// workbook, the map as an inline PNG and bar charts as inline SVG. A rate
// without data is written as "no data" and drawn as no bar.
var packPage = template.Must(template.New("pack").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font-family:sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;margin:8px 0 20px;font-size:13px}
th,td{border:1px solid #bbb;padding:3px 6px;text-align:right}
th:first-child,td:first-child{text-align:left}
.nodata{color:#999}
img.map{width:100%;max-width:1000px;border:1px solid #ccc}
@media print{section{page-break-inside:avoid}}
</style></head><body>
<h1>{{.Title}}</h1>
<p>{{.Period}} · {{.AsOf}}</p>
<section><h2>{{.MapTitle}}</h2><img class="map" id="pack-map" alt="{{.MapTitle}}" src="{{.Map}}"><p>{{.Legend}}</p></section>
<section><h2>{{.ChartTitle}}</h2>{{.Chart}}</section>
{{range .Tables}}<section><h2>{{.Title}}</h2><table>
<tr>{{range .Head}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td{{if .NoData}} class="nodata"{{end}}>{{.Text}}</td>{{end}}</tr>{{end}}
</table></section>{{end}}
</body></html>`))

type packCell struct {
	Text   string
	NoData bool
}

type packTable struct {
	Title string
	Head  []string
	Rows  [][]packCell
}

func toTable(title string, rows [][]any, noData string) packTable {
	tb := packTable{Title: title}
	for _, h := range rows[0] {
		tb.Head = append(tb.Head, fmt.Sprint(h))
	}
	for _, r := range rows[1:] {
		var cells []packCell
		for _, v := range r {
			c := packCell{Text: fmt.Sprint(v)}
			if f, ok := v.(float64); ok {
				c.Text = fmt.Sprintf("%.4g", f)
			}
			c.NoData = c.Text == noData
			cells = append(cells, c)
		}
		tb.Rows = append(tb.Rows, cells)
	}
	return tb
}

// villageChart draws, per village, a bar of reports and a bar of the
// on-time closure rate (none when there is no data).
func villageChart(st *casework.Stats, names map[string]string, noData string) template.HTML {
	const rowH, labelW, barW = 22, 160, 300
	maxN := 1
	for _, g := range st.Groups {
		maxN = max(maxN, g.Reported)
	}
	var b bytes.Buffer
	h := rowH*len(st.Groups) + 10
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="%d" height="%d" font-size="12">`, labelW+2*barW+80, h)
	for i, g := range st.Groups {
		y := 5 + i*rowH
		name := g.Key
		if n, ok := names[g.Key]; ok {
			name = n
		}
		fmt.Fprintf(&b, `<text x="0" y="%d">%s</text>`, y+14, template.HTMLEscapeString(name))
		w := barW * g.Reported / maxN
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="14" fill="#1976d2"/><text x="%d" y="%d">%d</text>`,
			labelW, y+2, w, labelW+w+4, y+14, g.Reported)
		x := labelW + barW + 40
		if g.OnTimeRate == nil {
			fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#999" class="nodata">%s</text>`, x, y+14, template.HTMLEscapeString(noData))
			continue
		}
		rw := int(*g.OnTimeRate * barW)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="14" fill="#43a047"/><text x="%d" y="%d">%.0f%%</text>`,
			x, y+2, rw, x+rw+4, y+14, *g.OnTimeRate*100)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// PackHTML renders a meeting pack as a printable page.
func PackHTML(pk *report.Pack, t texts) ([]byte, error) {
	loc := workday.Shanghai()
	title := t.T(msg.ReportTitleWeek, pk.Period.Label)
	if pk.Period.Kind == "month" {
		title = t.T(msg.ReportTitleMonth, pk.Period.Label)
	}
	noData := t.T(msg.ReportNoData)
	names := gridNames(pk)
	data := map[string]any{
		"Lang": t.Lang, "Title": title,
		"Period":     t.T(msg.ReportPeriod, pk.Period.From.In(loc).Format("2006-01-02"), pk.Period.To.In(loc).AddDate(0, 0, -1).Format("2006-01-02")),
		"AsOf":       t.T(msg.ReportAsOf, pk.AsOf.In(loc).Format("2006-01-02 15:04")),
		"MapTitle":   t.T(msg.ReportSecMap),
		"Map":        template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(pk.Map)),
		"Legend":     t.T(msg.ReportLegend),
		"ChartTitle": t.T(msg.ReportChartVillages),
		"Chart":      villageChart(pk.ByVillage, names, noData),
		"Tables": []packTable{
			toTable(t.T(msg.ReportSecUnits), statsRows(t, msg.ColUnit, pk.ByUnit, nil), noData),
			toTable(t.T(msg.ReportSecVillages), statsRows(t, msg.ColVillage, pk.ByVillage, names), noData),
			toTable(t.T(msg.ReportSecHotspots), hotspotRows(t, pk.Hotspots), noData),
			toTable(t.T(msg.ReportSecLedger), ledgerRows(t, pk.Ledger), noData),
		},
	}
	var b bytes.Buffer
	if err := packPage.Execute(&b, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
