package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/workday"
	"github.com/xuri/excelize/v2"
)

// listRow is a case as GET /api/v1/cases lists it.
type listRow struct {
	ID            int64      `json:"id"`
	Number        string     `json:"number"`
	Category      string     `json:"category"`
	Description   string     `json:"description"`
	Source        string     `json:"source"`
	Status        string     `json:"status"`
	GridChain     []string   `json:"grid_chain"`
	LeadUnit      string     `json:"lead_unit"`
	LeadUnitName  string     `json:"lead_unit_name"`
	CoUnits       []string   `json:"co_units"`
	ReportedAt    time.Time  `json:"reported_at"`
	StageDue      *time.Time `json:"stage_due"`
	DeadlineState *string    `json:"deadline_state"`
	Overdue       bool       `json:"overdue"`
	DaysOverdue   int        `json:"days_overdue"`
}

type listPage struct {
	Total int       `json:"total"`
	Next  string    `json:"next"`
	Cases []listRow `json:"cases"`
}

// deskFilter is one list filter and its reference predicate.
type deskFilter struct {
	query string
	keep  func(listRow) bool
}

func ids(rows []listRow) []int64 {
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = r.ID
	}
	return out
}

// TestCaseListDesk holds every filter of the case list, alone and
// combined, to a reference computed in Go from the full list; the summary
// to the list's counts; and the export to the list's rows.
func TestCaseListDesk(t *testing.T) {
	clk := &testClock{t: cst(2026, 11, 20, 17, 0)}
	ta := newCaseApp(t, clk)
	center := ta.login("center")
	worker := ta.login(ownGrid)
	// A few cases of today, with a keyword.
	for i := range 4 {
		b := reportBody([]string{"0104", "0102", "0201", "0104"}[i], pointIn([]string{ownGrid, otherGrid, caseGrid2, ownGrid}[i], uint64(40+i), 30))
		b["description"] = fmt.Sprintf("井盖破损第%d处", i)
		ta.report(worker, b, nil)
	}
	clk.Add(2 * time.Hour)
	var all listPage
	ta.do("GET", "/api/v1/cases?limit=500", center, nil, nil).decode(t, &all)
	if all.Total != len(all.Cases) || all.Total < 30 {
		t.Fatalf("full list: total %d, %d rows", all.Total, len(all.Cases))
	}
	now := clk.Now()
	sh := workday.Shanghai()
	day := time.Date(now.In(sh).Year(), now.In(sh).Month(), now.In(sh).Day(), 0, 0, 0, 0, sh)
	weekStart := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	monthStart := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, sh)
	has := func(what string, rows []listRow, keep func(listRow) bool) bool {
		for _, r := range rows {
			if keep(r) {
				return true
			}
		}
		t.Logf("no case for %s", what)
		return false
	}
	num := all.Cases[len(all.Cases)/2].Number
	filters := map[string]deskFilter{
		"status":      {"status=handling,reported", func(r listRow) bool { return r.Status == "handling" || r.Status == "reported" }},
		"grid":        {"grid=" + caseVillage, func(r listRow) bool { return slices.Contains(r.GridChain, caseVillage) }},
		"unit":        {"unit=hwsuo", func(r listRow) bool { return r.LeadUnit == "hwsuo" || slices.Contains(r.CoUnits, "hwsuo") }},
		"small class": {"category=0104", func(r listRow) bool { return r.Category == "0104" }},
		"big class":   {"category=01", func(r listRow) bool { return strings.HasPrefix(r.Category, "01") }},
		"source":      {"source=worker_app", func(r listRow) bool { return r.Source == "worker_app" }},
		"overdue":     {"overdue=true", func(r listRow) bool { return r.Overdue }},
		"not overdue": {"overdue=false", func(r listRow) bool { return !r.Overdue }},
		"red":         {"deadline_state=red", func(r listRow) bool { return r.DeadlineState != nil && *r.DeadlineState == "red" }},
		"green":       {"deadline_state=green", func(r listRow) bool { return r.DeadlineState != nil && *r.DeadlineState == "green" }},
		"q number":    {"q=" + num, func(r listRow) bool { return r.Number == num }},
		"q prefix": {"q=" + num[:9], func(r listRow) bool {
			return strings.HasPrefix(r.Number, num[:9]) || strings.Contains(r.Description, num[:9])
		}},
		"q keyword": {"q=" + url.QueryEscape("井盖破损"), func(r listRow) bool { return strings.Contains(r.Description, "井盖破损") }},
		"today":     {"period=today", func(r listRow) bool { return !r.ReportedAt.Before(day) }},
		"week": {"period=week", func(r listRow) bool {
			return !r.ReportedAt.Before(weekStart) && r.ReportedAt.Before(weekStart.AddDate(0, 0, 7))
		}},
		"month": {"period=month", func(r listRow) bool { return !r.ReportedAt.Before(monthStart) }},
		"from-to": {"from=2026-11-05&to=2026-11-12", func(r listRow) bool {
			return !r.ReportedAt.Before(cst(2026, 11, 5, 0, 0)) && r.ReportedAt.Before(cst(2026, 11, 13, 0, 0))
		}},
	}
	names := make([]string, 0, len(filters))
	for n := range filters {
		names = append(names, n)
	}
	sort.Strings(names)
	check := func(name, query string, keep func(listRow) bool) {
		t.Helper()
		want := []int64{}
		byStatus := map[string]int{}
		overdue := 0
		for _, r := range all.Cases {
			if keep(r) {
				want = append(want, r.ID)
				byStatus[r.Status]++
				if r.Overdue {
					overdue++
				}
			}
		}
		var got listPage
		ta.do("GET", "/api/v1/cases?limit=500&"+query, center, nil, nil).decode(t, &got)
		if !slices.Equal(ids(got.Cases), want) || got.Total != len(want) {
			t.Errorf("%s (?%s): got %v (total %d), want %v", name, query, ids(got.Cases), got.Total, want)
		}
		var sum struct {
			Total    int            `json:"total"`
			ByStatus map[string]int `json:"by_status"`
			Overdue  int            `json:"overdue"`
		}
		ta.do("GET", "/api/v1/cases/summary?"+query, center, nil, nil).decode(t, &sum)
		if sum.Total != len(want) || sum.Overdue != overdue || fmt.Sprint(sum.ByStatus) != fmt.Sprint(byStatus) {
			t.Errorf("%s summary: %+v, want total %d overdue %d %v", name, sum, len(want), overdue, byStatus)
		}
	}
	for _, n := range names {
		f := filters[n]
		if !has(n, all.Cases, f.keep) && n != "not overdue" {
			t.Errorf("filter %s selects nothing in the demo: the test would not test it", n)
		}
		check(n, f.query, f.keep)
	}
	// Every pair of filters combined.
	for i, a := range names {
		for _, b := range names[i+1:] {
			fa, fb := filters[a], filters[b]
			if param(fa.query) == param(fb.query) {
				continue // one value per parameter
			}
			check(a+" + "+b, fa.query+"&"+fb.query, func(r listRow) bool { return fa.keep(r) && fb.keep(r) })
		}
	}
	// Columns: lead unit name, days overdue (calendar days begun since the deadline).
	for _, r := range all.Cases {
		if r.LeadUnit != "" && r.LeadUnitName == "" {
			t.Errorf("case %s: lead unit %s without its name", r.Number, r.LeadUnit)
		}
		want := 0
		if r.Overdue && r.StageDue != nil {
			want = int(math.Floor(now.Sub(*r.StageDue).Hours()/24)) + 1
		}
		if r.DaysOverdue != want {
			t.Errorf("case %s: days_overdue %d, want %d", r.Number, r.DaysOverdue, want)
		}
	}

	// Export: the same rows as the list, in its order.
	query := "category=01&sort=number.asc"
	var list listPage
	ta.do("GET", "/api/v1/cases?limit=500&"+query, center, nil, nil).decode(t, &list)
	numbers := []string{}
	for _, r := range list.Cases {
		numbers = append(numbers, r.Number)
	}
	res := ta.do("GET", "/api/v1/cases/export?format=csv&"+query, center, nil, nil)
	if res.Status != 200 || !bytes.HasPrefix(res.Body, []byte("\xEF\xBB\xBF")) {
		t.Fatalf("csv export: %d, BOM %v", res.Status, bytes.HasPrefix(res.Body, []byte("\xEF\xBB\xBF")))
	}
	recs, err := csv.NewReader(bytes.NewReader(res.Body[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if recs[0][0] != "案件编号" || recs[0][6] != "上报时间" || recs[0][7] != "承办单位" {
		t.Errorf("csv header %v", recs[0])
	}
	got := []string{}
	for _, r := range recs[1:] {
		got = append(got, r[0])
	}
	if !slices.Equal(got, numbers) {
		t.Errorf("csv rows %v, want %v", got, numbers)
	}
	res = ta.do("GET", "/api/v1/cases/export?format=xlsx&lang=en&"+query, center, nil, nil)
	if res.Status != 200 {
		t.Fatalf("xlsx export: %d %s", res.Status, res.Body)
	}
	x, err := excelize.OpenReader(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows("Cases")
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, r := range rows[1:] {
		got = append(got, r[0])
	}
	if rows[0][0] != "Case number" || !slices.Equal(got, numbers) {
		t.Errorf("xlsx header %v rows %v, want %v", rows[0], got, numbers)
	}

	// Bad parameters name themselves.
	for q, field := range map[string]string{"sort=priority": "sort", "cursor=xyz": "cursor", "period=year": "period",
		"offset=10001": "offset", "q=" + strings.Repeat("a", 101): "q", "q=%FF": "q",
		"sort=number&cursor=" + url.QueryEscape(strings.TrimPrefix(cursorOf(t, ta, center, "sort=reported_at"), "")): "cursor"} {
		res := ta.do("GET", "/api/v1/cases?"+q, center, nil, nil)
		if res.Status != 400 || problemOf(t, res).Errors[0].Field != field {
			t.Errorf("?%s: %d %s, want 400 naming %s", q, res.Status, res.Body, field)
		}
	}
	if res := ta.do("GET", "/api/v1/cases/export?format=pdf", center, nil, nil); res.Status != 400 || problemOf(t, res).Errors[0].Field != "format" {
		t.Errorf("export format=pdf: %d %s", res.Status, res.Body)
	}
	if res := ta.do("GET", "/api/v1/cases?offset=10000", center, nil, nil); res.Status != 200 {
		t.Errorf("offset 10000: %d", res.Status)
	}
}

// param is the name of a query's first parameter.
func param(q string) string { return strings.SplitN(q, "=", 2)[0] }

// cursorOf returns the cursor of the next link of the first page of a
// list of 2 with query.
func cursorOf(t *testing.T, ta *testApp, token, query string) string {
	var p listPage
	ta.do("GET", "/api/v1/cases?limit=2&"+query, token, nil, nil).decode(t, &p)
	u, err := url.Parse(p.Next)
	if err != nil || p.Next == "" {
		t.Fatalf("next link %q", p.Next)
	}
	return u.Query().Get("cursor")
}

// TestCaseListKeyset: for every sort, following next visits every case
// once, in order, while other cases are reported concurrently.
func TestCaseListKeyset(t *testing.T) {
	clk := &testClock{t: cst(2026, 11, 20, 17, 0)}
	ta := newCaseApp(t, clk)
	center := ta.login("center")
	worker := ta.login(ownGrid)
	var before listPage
	ta.do("GET", "/api/v1/cases?limit=500", center, nil, nil).decode(t, &before)
	orig := map[int64]listRow{}
	for _, r := range before.Cases {
		orig[r.ID] = r
	}
	inf := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	key := map[string]func(listRow) string{
		"reported_at": func(r listRow) string { return r.ReportedAt.UTC().Format(time.RFC3339Nano) },
		"number":      func(r listRow) string { return r.Number },
		"stage_due": func(r listRow) string {
			if r.StageDue == nil {
				return inf.Format(time.RFC3339Nano)
			}
			return r.StageDue.UTC().Format("2006-01-02T15:04:05.000000Z")
		},
	}
	seed := uint64(100)
	for _, sk := range []string{"reported_at", "stage_due", "number"} {
		for _, dir := range []string{"asc", "desc"} {
			s := sk + "." + dir
			next := "/api/v1/cases?limit=7&sort=" + s
			seen := map[int64]int{}
			var order []listRow
			var wg sync.WaitGroup
			for next != "" {
				// A case reported while the pages are read.
				wg.Add(1)
				seed++
				go func(seed uint64) {
					defer wg.Done()
					ta.report(worker, reportBody("0104", pointIn(ownGrid, seed, 30)), nil)
				}(seed)
				var p listPage
				ta.do("GET", next, center, nil, nil).decode(t, &p)
				for _, r := range p.Cases {
					seen[r.ID]++
					order = append(order, r)
				}
				next = p.Next
				if len(order) > 2000 {
					t.Fatal("paging does not end")
				}
			}
			wg.Wait()
			for id := range orig {
				if seen[id] != 1 {
					t.Errorf("%s: case %d visited %d times", s, id, seen[id])
				}
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("%s: case %d visited %d times", s, id, n)
				}
			}
			for i := 1; i < len(order); i++ {
				a, b := order[i-1], order[i]
				ka, kb := key[sk](a), key[sk](b)
				less := ka < kb || (ka == kb && a.ID < b.ID)
				if (dir == "asc") != less {
					t.Errorf("%s: %d (%s) before %d (%s)", s, a.ID, ka, b.ID, kb)
				}
			}
			if len(order) < len(orig) {
				t.Errorf("%s: %d cases visited of %d", s, len(order), len(orig))
			}
		}
	}
}

// deskRouteCases are the access rows of the case list's summary and export.
func deskRouteCases() map[string]routeCase {
	return map[string]routeCase{
		"GET /api/v1/cases/summary": {fixed("/api/v1/cases/summary"), all(200, nil)},
		"GET /api/v1/cases/export":  {fixed("/api/v1/cases/export?format=csv"), all(200, nil)},
	}
}
