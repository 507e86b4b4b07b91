package httpapi

import (
	"bufio"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/msg"
	"github.com/gridd/gridd/internal/workday"
	"github.com/xuri/excelize/v2"
)

// MaxCaseOffset bounds offset paging of GET /api/v1/cases; deeper pages
// use the keyset cursor (next).
const MaxCaseOffset = 10_000

// MaxCaseExport bounds the rows of one export.
const MaxCaseExport = 50_000

// cursorJSON is the opaque cursor token (base64url of this JSON).
type cursorJSON struct {
	Key    string     `json:"k"`
	Asc    bool       `json:"a,omitempty"`
	Time   *time.Time `json:"t,omitempty"`
	Number string     `json:"n,omitempty"`
	ID     int64      `json:"i"`
}

func encodeCursor(c *casework.CaseCursor) string {
	b, _ := json.Marshal(cursorJSON{Key: string(c.Sort.Key), Asc: c.Sort.Asc, Time: c.Time, Number: c.Number, ID: c.ID})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, sort casework.CaseSort) (*casework.CaseCursor, error) {
	bad := errs.Invalidf("cursor", "invalid_cursor", "not a cursor of this list with this sort; take the next link of the previous page")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	var c cursorJSON
	if err := json.Unmarshal(b, &c); err != nil || c.ID <= 0 {
		return nil, bad
	}
	cur := &casework.CaseCursor{Sort: casework.CaseSort{Key: casework.SortKey(c.Key), Asc: c.Asc}, Time: c.Time, Number: c.Number, ID: c.ID}
	if cur.Sort != sort.Normal() || (sort.Normal().Key == casework.SortReported && c.Time == nil) {
		return nil, bad
	}
	return cur, nil
}

// pageFilter parses the filters, sort and cursor of the list and export.
func pageFilter(r *http.Request) (casework.CaseFilter, error) {
	f, err := caseFilter(r)
	if err != nil {
		return f, err
	}
	q := r.URL.Query()
	if v := q.Get("sort"); v != "" {
		if f.Sort, err = casework.ParseCaseSort("sort", v); err != nil {
			return f, err
		}
	}
	f.Sort = f.Sort.Normal()
	if v := q.Get("cursor"); v != "" {
		if f.After, err = decodeCursor(v, f.Sort); err != nil {
			return f, err
		}
	}
	return f, nil
}

type caseListRowJSON struct {
	caseJSON
	LeadUnitName string `json:"lead_unit_name,omitempty"`
	DaysOverdue  int    `json:"days_overdue"`
}

func (s *Server) listCases(w http.ResponseWriter, r *http.Request) error {
	f, err := pageFilter(r)
	if err != nil {
		return err
	}
	if f.Limit, err = queryInt(r, "limit", 50, 1, MaxCasePage); err != nil {
		return err
	}
	if f.Offset, err = queryInt(r, "offset", 0, 0, MaxCaseOffset); err != nil {
		return err
	}
	if f.After != nil && f.Offset > 0 {
		return errs.Invalidf("offset", "invalid_parameter", "offset and cursor exclude each other")
	}
	cases, total, err := s.Cases.List(r.Context(), principal(r), f)
	if err != nil {
		return err
	}
	now := s.Now()
	out := make([]caseListRowJSON, len(cases))
	for i, c := range cases {
		out[i] = caseListRowJSON{caseJSON: s.toCaseJSON(r, c), LeadUnitName: c.LeadUnitName, DaysOverdue: c.DaysOverdue(now)}
	}
	body := map[string]any{"total": total, "limit": f.Limit, "offset": f.Offset, "sort": sortString(f.Sort), "cases": out}
	if len(cases) == f.Limit {
		u := *r.URL
		v := u.Query()
		v.Del("offset")
		v.Set("cursor", encodeCursor(casework.CursorAfter(f.Sort, cases[len(cases)-1])))
		u.RawQuery = v.Encode()
		body["next"] = u.RequestURI()
	}
	return s.ok(w, r, body)
}

func sortString(s casework.CaseSort) string {
	if s.Asc {
		return string(s.Key) + ".asc"
	}
	return string(s.Key) + ".desc"
}

// caseSummary: GET /api/v1/cases/summary — the list's counts per status
// and overdue, with the list's filters, in one statement.
func (s *Server) caseSummary(w http.ResponseWriter, r *http.Request) error {
	f, err := caseFilter(r)
	if err != nil {
		return err
	}
	sum, err := s.Cases.Summary(r.Context(), principal(r), f)
	if err != nil {
		return err
	}
	by := map[string]int{}
	for st, n := range sum.ByStatus {
		by[string(st)] = n
	}
	return s.ok(w, r, map[string]any{"total": sum.Total, "by_status": by, "overdue": sum.Overdue})
}

// exportCases: GET /api/v1/cases/export?format=csv|xlsx — exactly the
// filtered list in its sort, read page by page (keyset) and streamed; at
// most MaxCaseExport rows (more is a 400 asking for narrower filters).
func (s *Server) exportCases(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	if format != "csv" && format != "xlsx" {
		return errs.Invalidf("format", "invalid_format", "want csv or xlsx, got %q", format)
	}
	f, err := pageFilter(r)
	if err != nil {
		return err
	}
	f.Limit = MaxCasePage
	p := principal(r)
	first, total, err := s.Cases.List(r.Context(), p, f)
	if err != nil {
		return err
	}
	if total > MaxCaseExport {
		return errs.Invalidf("", "export_too_large", "%d cases match; narrow the filters to at most %d", total, MaxCaseExport)
	}
	l := msg.ParseLang(lang(r))
	m := s.Messages
	header := []string{}
	for _, k := range []msg.Key{msg.CaseColNumber, msg.CaseColCategory, msg.CaseColDescription, msg.CaseColGrid, msg.CaseColSource,
		msg.CaseColStatus, msg.CaseColReportedAt, msg.CaseColLeadUnit, msg.CaseColStageDue, msg.CaseColDaysOverdue} {
		header = append(header, m.Sprintf(l, k))
	}
	now := s.Now()
	sh := workday.Shanghai()
	row := func(c *casework.Case) []any {
		due := ""
		if c.Status.Open() && c.DueAt != nil {
			due = c.DueAt.In(sh).Format("2006-01-02 15:04")
		}
		lead := c.LeadUnitName
		if lead == "" {
			lead = c.LeadUnit
		}
		return []any{c.Number, c.CategoryName, c.Description, c.GridCode, string(c.Source), statusName(r, c.Status),
			c.ReportedAt.In(sh).Format("2006-01-02 15:04"), lead, due, c.DaysOverdue(now)}
	}
	// pages yields every matching case once, in the list's order.
	pages := func(emit func(c *casework.Case) error) error {
		page := first
		for {
			for _, c := range page {
				if err := emit(c); err != nil {
					return err
				}
			}
			if len(page) < f.Limit {
				return nil
			}
			f.After = casework.CursorAfter(f.Sort, page[len(page)-1])
			f.NoTotal = true // counted with the first page
			if page, _, err = s.Cases.List(r.Context(), p, f); err != nil {
				return err
			}
		}
	}
	name := "cases-" + now.In(sh).Format("20060102")
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		bw := bufio.NewWriter(w)
		bw.WriteString("\uFEFF") // Excel reads UTF-8 only after a BOM
		cw := csv.NewWriter(bw)
		if err := cw.Write(header); err != nil {
			return err
		}
		err := pages(func(c *casework.Case) error {
			rec := make([]string, 0, len(header))
			for _, v := range row(c) {
				switch v := v.(type) {
				case string:
					rec = append(rec, v)
				case int:
					rec = append(rec, strconv.Itoa(v))
				}
			}
			return cw.Write(rec)
		})
		cw.Flush()
		if err == nil {
			err = cw.Error()
		}
		if err == nil {
			err = bw.Flush()
		}
		return err
	}
	x := excelize.NewFile()
	defer x.Close()
	sheet := m.Sprintf(l, msg.CaseSheet)
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	hdr := make([]any, len(header))
	for i, h := range header {
		hdr[i] = h
	}
	if err := sw.SetRow("A1", hdr); err != nil {
		return err
	}
	n := 1
	if err := pages(func(c *casework.Case) error {
		n++
		cell, _ := excelize.CoordinatesToCellName(1, n)
		return sw.SetRow(cell, row(c))
	}); err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
	_, err = x.WriteTo(w)
	return err
}
