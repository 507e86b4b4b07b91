package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/workday"
)

type inspectionView struct {
	ID              int64  `json:"id"`
	TemplateID      int64  `json:"template_id"`
	TemplateVersion int    `json:"template_version"`
	Date            string `json:"date"`
	GridCode        string `json:"grid_code"`
	Cases           []struct {
		Item   string `json:"item"`
		CaseID int64  `json:"case_id"`
	} `json:"cases"`
}

// inspPlace stores a rental-housing place in grid and returns its id.
func inspPlace(t *testing.T, ta *testApp, tok, grid string) int64 {
	t.Helper()
	lon, lat := regPointIn(t, ta, grid, 0)
	res := ta.do("POST", "/api/v1/registers/places", tok, map[string]any{"name": "城中村出租楼7号", "category": "rental_housing", "lon": lon, "lat": lat}, nil)
	if res.Status != 201 {
		t.Fatalf("place: %d %s", res.Status, res.Body)
	}
	var f struct{ ID any }
	res.decode(t, &f)
	var id int64
	fmt.Sscan(fmt.Sprint(f.ID), &id)
	if id == 0 {
		t.Fatalf("place id from %s", res.Body)
	}
	return id
}

// inspTemplate stores a version of the rental-housing checklist.
func inspTemplate(t *testing.T, ta *testApp, tok string, items ...map[string]string) (id int64, version int) {
	t.Helper()
	res := ta.do("POST", "/api/v1/inspection-templates", tok, map[string]any{"code": "rental_fire", "name": "出租房屋消防检查",
		"kind": "place", "category": "rental_housing", "items": items}, nil)
	if res.Status != 201 {
		t.Fatalf("template: %d %s", res.Status, res.Body)
	}
	var v struct {
		ID      int64
		Version int
	}
	res.decode(t, &v)
	return v.ID, v.Version
}

// TestInspectionFailedItemOpensOneCase: an inspection on the template's
// latest version records that version; its failed item opens exactly one
// case in the item's category, linked to the inspection, through the case
// loop (source inspection, the photo on the case); a retry with the same
// Idempotency-Key replays without a second case, also after the link was
// lost between the intake and the link (a crash); bad input is a 400
// naming the field with nothing stored.
func TestInspectionFailedItemOpensOneCase(t *testing.T) {
	ta := newTestApp(t, true)
	ctx := context.Background()
	center, worker := ta.login("center"), ta.login(ownGrid)
	place := inspPlace(t, ta, center, ownGrid)

	_, v1 := inspTemplate(t, ta, center, map[string]string{"code": "exits", "text": "疏散通道畅通", "category": "0801"})
	tid, v2 := inspTemplate(t, ta, center,
		map[string]string{"code": "exits", "text": "疏散通道畅通", "category": "0801"},
		map[string]string{"code": "charging", "text": "无私拉电线充电", "category": "0801"})
	if v1 != 1 || v2 != 2 {
		t.Fatalf("template versions %d, %d; want 1, 2", v1, v2)
	}
	if res := ta.do("POST", "/api/v1/inspection-templates", worker, map[string]any{"code": "x", "name": "x", "kind": "place",
		"category": "rental_housing", "items": []any{}}, nil); res.Status != 403 {
		t.Errorf("a worker edits a template: %d", res.Status)
	}
	res := ta.do("POST", "/api/v1/inspection-templates", center, map[string]any{"code": "bad", "name": "坏模板", "kind": "place",
		"category": "rental_housing", "items": []map[string]string{{"code": "a", "text": "甲", "category": "9999"}}}, nil)
	if res.Status != 400 || !bytes.Contains(res.Body, []byte("items[0].category")) {
		t.Errorf("template with an unknown category: %d %s", res.Status, res.Body)
	}

	photo := ta.upload(worker, 40)
	today := workday.DateOf(time.Now())
	date := fmt.Sprintf("%04d-%02d-%02d", today.Year, today.Month, today.Day)
	body := map[string]any{"record_id": place, "template_id": tid, "date": date, "results": []map[string]any{
		{"item": "exits", "ok": true},
		{"item": "charging", "ok": false, "note": "楼道私拉电线", "photos": []int64{photo}}}}
	countCases := func() int {
		var n int
		if err := ta.db.Pool.QueryRow(ctx, `SELECT count(*) FROM cases WHERE source = 'inspection'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Bad input first: nothing stored.
	bad := map[string]any{"record_id": place, "template_id": tid, "date": date, "results": []map[string]any{{"item": "exits", "ok": true}}}
	if res := ta.do("POST", "/api/v1/inspections", worker, bad, nil); res.Status != 400 || !bytes.Contains(res.Body, []byte(`"results"`)) {
		t.Errorf("a missing result: %d %s", res.Status, res.Body)
	}
	future := map[string]any{"record_id": place, "template_id": tid, "date": "2999-01-01", "results": body["results"]}
	if res := ta.do("POST", "/api/v1/inspections", worker, future, nil); res.Status != 400 || !bytes.Contains(res.Body, []byte(`"date"`)) {
		t.Errorf("a future date: %d %s", res.Status, res.Body)
	}
	if res := ta.do("POST", "/api/v1/inspections", ta.login("370114001001002"), body, nil); res.Status != 403 {
		t.Errorf("another grid's worker inspects: %d %s", res.Status, res.Body)
	}
	if n := countCases(); n != 0 {
		t.Fatalf("rejected inspections opened %d case(s)", n)
	}

	key := map[string]string{"Idempotency-Key": "insp-1"}
	res = ta.do("POST", "/api/v1/inspections", worker, body, key)
	if res.Status != 201 {
		t.Fatalf("inspection: %d %s", res.Status, res.Body)
	}
	var in inspectionView
	res.decode(t, &in)
	if in.TemplateVersion != 2 || in.GridCode != ownGrid || len(in.Cases) != 1 || in.Cases[0].Item != "charging" {
		t.Fatalf("inspection %+v: want template v2 in %s with one case for charging", in, ownGrid)
	}
	var c struct {
		Source, Category, Description string
		Photos                        []int64
	}
	ta.do("GET", fmt.Sprintf("/api/v1/cases/%d", in.Cases[0].CaseID), center, nil, nil).decode(t, &c)
	if c.Source != "inspection" || c.Category != "0801" || len(c.Photos) != 1 || c.Photos[0] != photo ||
		!bytes.Contains([]byte(c.Description), []byte("无私拉电线充电")) {
		t.Errorf("the opened case: %+v", c)
	}

	// A retry replays: the same inspection, the same single case.
	res = ta.do("POST", "/api/v1/inspections", worker, body, key)
	var again inspectionView
	res.decode(t, &again)
	if res.Status != 200 || res.Header.Get("Idempotent-Replayed") != "true" || again.ID != in.ID || len(again.Cases) != 1 || again.Cases[0].CaseID != in.Cases[0].CaseID {
		t.Errorf("retry: %d %s", res.Status, res.Body)
	}
	// A crash between the intake and the link: the retry repairs the link
	// with the case already opened.
	if _, err := ta.db.Pool.Exec(ctx, `DELETE FROM inspection_cases WHERE inspection_id = $1`, in.ID); err != nil {
		t.Fatal(err)
	}
	res = ta.do("POST", "/api/v1/inspections", worker, body, key)
	res.decode(t, &again)
	if res.Status != 200 || len(again.Cases) != 1 || again.Cases[0].CaseID != in.Cases[0].CaseID {
		t.Errorf("retry after a lost link: %d %s", res.Status, res.Body)
	}
	if n := countCases(); n != 1 {
		t.Errorf("%d cases from one failed item, want 1", n)
	}
	other := map[string]any{"record_id": place, "template_id": tid, "date": date, "results": []map[string]any{
		{"item": "exits", "ok": true}, {"item": "charging", "ok": true}}}
	if res := ta.do("POST", "/api/v1/inspections", worker, other, key); res.Status != 422 {
		t.Errorf("the same key with another body: %d %s", res.Status, res.Body)
	}
	// The template version used is kept: v1 still reads as it was.
	var tv struct{ Items []any }
	ta.do("GET", fmt.Sprintf("/api/v1/inspection-templates/%d", in.TemplateID), worker, nil, nil).decode(t, &tv)
	if len(tv.Items) != 2 {
		t.Errorf("template v2 has %d items", len(tv.Items))
	}
	var list struct{ Inspections []inspectionView }
	ta.do("GET", fmt.Sprintf("/api/v1/inspections?record=%d", place), center, nil, nil).decode(t, &list)
	if len(list.Inspections) != 1 {
		t.Errorf("inspections of the place: %d, want 1", len(list.Inspections))
	}
}

// TestLicencesDue lists a licence expiring within the horizon and one
// already expired, not one expiring later, and only in the caller's grids.
func TestLicencesDue(t *testing.T) {
	ta := newTestApp(t, true)
	center := ta.login("center")
	lon, lat := regPointIn(t, ta, ownGrid, 0)
	today := workday.DateOf(time.Now())
	day := func(n int) string {
		return time.Date(today.Year, today.Month, today.Day+n, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
	}
	res := ta.do("POST", "/api/v1/registers/businesses", center, map[string]any{"name": "到期饭店", "category": "restaurant", "lon": lon, "lat": lat,
		"licences": []map[string]string{{"type": "business_licence", "number": "B1", "expires": day(10)},
			{"type": "food_hygiene", "number": "F1", "expires": day(-3)}, {"type": "tax_registration", "number": "T1", "expires": day(90)}}}, nil)
	if res.Status != 201 {
		t.Fatalf("business: %d %s", res.Status, res.Body)
	}
	var due struct {
		Licences []struct {
			Name, Type string
			Expired    bool
		}
	}
	ta.do("GET", "/api/v1/licences/due?days=30", ta.login(ownGrid), nil, nil).decode(t, &due)
	got := map[string]bool{}
	for _, l := range due.Licences {
		if l.Name == "到期饭店" {
			got[l.Type] = l.Expired
		}
	}
	if len(got) != 2 || got["food_hygiene"] != true || got["business_licence"] != false {
		t.Errorf("licences due: %+v", due.Licences)
	}
	ta.do("GET", "/api/v1/licences/due?days=30", ta.login("370114001001002"), nil, nil).decode(t, &due)
	for _, l := range due.Licences {
		if l.Name == "到期饭店" {
			t.Errorf("another grid's worker sees %+v", l)
		}
	}
	if res := ta.do("GET", "/api/v1/licences/due?days=-1", center, nil, nil); res.Status != 400 {
		t.Errorf("days=-1: %d", res.Status)
	}

	// The reminder job puts both in the grid worker's inbox, once.
	ctx := context.Background()
	if _, err := ta.inspections.RemindLicences(ctx, ta.clock.Store, time.Now()); err != nil {
		t.Fatal(err)
	}
	if n, err := ta.inspections.RemindLicences(ctx, ta.clock.Store, time.Now()); err != nil || n != 0 {
		t.Errorf("a second run added %d reminders (%v), want 0", n, err)
	}
	var box struct {
		Notifications []struct{ Kind, Text string }
	}
	ta.do("GET", "/api/v1/inbox?limit=100", ta.login(ownGrid), nil, nil).decode(t, &box)
	var texts []string
	for _, n := range box.Notifications {
		if n.Kind == "licence" && strings.Contains(n.Text, "到期饭店") {
			texts = append(texts, n.Text)
		}
	}
	if len(texts) != 2 {
		t.Errorf("licence reminders in the worker's inbox: %q, want the expiring and the expired one", texts)
	}
}
