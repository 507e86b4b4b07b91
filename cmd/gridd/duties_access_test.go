package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/gridd/gridd/internal/attendance"
	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/inspection"
	"github.com/gridd/gridd/internal/training"
	"github.com/gridd/gridd/internal/workday"
)

// principalOf returns the principal of a demo login.
func principalOf(ta *testApp, username string) *auth.Principal {
	ta.t.Helper()
	ctx := context.Background()
	u, err := ta.people.FindUserByUsername(ctx, username)
	if err != nil {
		ta.t.Fatal(err)
	}
	p, err := ta.auth.PrincipalFor(ctx, u)
	if err != nil {
		ta.t.Fatal(err)
	}
	return p
}

// todayCivil is today's date in Asia/Shanghai as YYYY-MM-DD.
func todayCivil() string {
	d := workday.DateOf(time.Now())
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// dutyInspectionFixture stores a rental-housing place in grid and a
// checklist for it; it returns the place and template ids.
func dutyInspectionFixture(ta *testApp, grid string) (place, template int64) {
	ta.t.Helper()
	lon, lat := regPointIn(ta.t, ta, grid, 0)
	if err := ta.db.Pool.QueryRow(context.Background(), `
INSERT INTO register_records (kind, name, category, geom, point, grid_code, created_at, updated_at)
VALUES ('place', '矩阵出租楼', 'rental_housing', ST_SetSRID(ST_MakePoint($1, $2), 4326), ST_SetSRID(ST_MakePoint($1, $2), 4326), $3, now(), now())
RETURNING id`, lon, lat, grid).Scan(&place); err != nil {
		ta.t.Fatal(err)
	}
	t := &inspection.Template{Code: "matrix", Name: "矩阵检查", Kind: "place", Category: "rental_housing",
		Items: []inspection.Item{{Code: "exits", Text: "疏散通道畅通", Category: "0801"}}}
	if err := ta.inspections.SaveTemplate(context.Background(), principalOf(ta, "admin"), t); err != nil {
		ta.t.Fatal(err)
	}
	return place, t.ID
}

// forceRouteCases are the field-duty routes (issue 18).
func forceRouteCases() map[string]routeCase {
	return map[string]routeCase{
		// Inspections: the center keeps the checklists; admin, center and a
		// grid worker (in its grids) inspect; a viewer reads.
		"GET /api/v1/inspection-templates": {fixed("/api/v1/inspection-templates"), only(200, "admin", "center", "worker")},
		"POST /api/v1/inspection-templates": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/inspection-templates", map[string]any{"code": "matrix_tpl", "name": "矩阵模板", "kind": "business", "category": "shop",
				"items": []map[string]string{{"code": "a", "text": "门前五包", "category": "0103"}}}, nil
		}, only(201, "admin", "center")},
		"GET /api/v1/inspection-templates/{id}": {func(ta *testApp, _ string) (string, any, map[string]string) {
			_, tid := dutyInspectionFixture(ta, otherGrid)
			return fmt.Sprintf("/api/v1/inspection-templates/%d", tid), nil, nil
		}, only(200, "admin", "center", "worker")},
		"POST /api/v1/inspections": {func(ta *testApp, _ string) (string, any, map[string]string) {
			place, tid := dutyInspectionFixture(ta, otherGrid)
			return "/api/v1/inspections", map[string]any{"record_id": place, "template_id": tid, "date": todayCivil(),
				"results": []map[string]any{{"item": "exits", "ok": true}}}, nil
		}, only(201, "admin", "center")},
		"GET /api/v1/inspections": {fixed("/api/v1/inspections"), only(200, "admin", "center", "worker", "viewer")},
		"GET /api/v1/inspections/{id}": {func(ta *testApp, _ string) (string, any, map[string]string) {
			place, tid := dutyInspectionFixture(ta, otherGrid)
			in, _, err := ta.inspections.Record(context.Background(), principalOf(ta, "admin"), inspection.Request{RecordID: place, TemplateID: tid,
				Date: todayCivil(), Results: []inspection.Result{{Item: "exits", OK: true}}}, "")
			if err != nil {
				ta.t.Fatal(err)
			}
			return fmt.Sprintf("/api/v1/inspections/%d", in.ID), nil, nil
		}, only(200, "admin", "center", "viewer")},
		"GET /api/v1/licences/due": {fixed("/api/v1/licences/due?days=30"), only(200, "admin", "center", "worker", "viewer")},

		// The police rota: kept by the center, read by it, viewers in scope
		// and the community's own police.
		"GET /api/v1/police-rota": {fixed("/api/v1/police-rota?community=" + viewerScope + "&from=2026-12-01&to=2026-12-07"),
			only(200, "admin", "center", "viewer", "police")},
		"POST /api/v1/police-rota/shifts": {func(_ *testApp, role string) (string, any, map[string]string) {
			return "/api/v1/police-rota/shifts", map[string]any{"community": viewerScope, "date": fmt.Sprintf("2026-12-%02d", 1+slices.Index(roles, role)),
				"shift": 1, "username": "police"}, nil
		}, only(201, "admin", "center")},
		"DELETE /api/v1/police-rota/shifts/{id}": {func(ta *testApp, role string) (string, any, map[string]string) {
			sh, err := ta.rota.AddShift(context.Background(), principalOf(ta, "admin"), viewerScope,
				time.Date(2027, 1, 1+slices.Index(roles, role), 0, 0, 0, 0, time.UTC), 2, "police")
			if err != nil {
				ta.t.Fatal(err)
			}
			return fmt.Sprintf("/api/v1/police-rota/shifts/%d", sh.ID), nil, nil
		}, only(204, "admin", "center")},

		// Training and meetings: the center records and reads them, viewers
		// read; a grid worker records and reads its own grids' meetings.
		"POST /api/v1/training/sessions": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/training/sessions", map[string]any{"title": "矩阵培训", "date": "2026-11-20", "hours": 1, "pass_mark": 60,
				"scope": viewerScope, "attendees": []map[string]any{{"username": ownGrid, "attended": true, "score": 70}}}, nil
		}, only(201, "admin", "center")},
		"GET /api/v1/training/sessions": {fixed("/api/v1/training/sessions"), only(200, "admin", "center", "viewer")},
		"GET /api/v1/training/retrain":  {fixed("/api/v1/training/retrain"), only(200, "admin", "center", "viewer")},
		"GET /api/v1/training/gaps":     {fixed("/api/v1/training/gaps"), only(200, "admin", "center", "viewer", "worker")},
		"POST /api/v1/meetings": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/meetings", map[string]any{"kind": "grid", "date": "2026-11-20", "grid": otherGrid, "attendees": []string{"center"}}, nil
		}, only(201, "admin", "center")},
		"GET /api/v1/meetings": {fixed("/api/v1/meetings"), only(200, "admin", "center", "viewer", "worker")},
		"GET /api/v1/meetings/{id}": {func(ta *testApp, _ string) (string, any, map[string]string) {
			return fmt.Sprintf("/api/v1/meetings/%d", dutyMeeting(ta)), nil, nil
		}, only(200, "admin", "center", "viewer")},
		"GET /api/v1/meetings/{id}/pack": {func(ta *testApp, _ string) (string, any, map[string]string) {
			return fmt.Sprintf("/api/v1/meetings/%d/pack", dutyMeeting(ta)), nil, nil
		}, only(200, "admin", "center", "viewer")},

		// Everyone signed in reads its own training record and meetings.
		"GET /api/v1/me/training": {fixed("/api/v1/me/training"), only(200, "admin", "center", "department", "worker", "viewer",
			"volunteer", "informant", "police", "liaison")},

		// Leave: a worker asks for itself, the center for a worker in its
		// scope and decides.
		"POST /api/v1/leave": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/leave", map[string]any{"username": ownGrid, "kind": "leave", "from": "2026-11-20", "to": "2026-11-21"}, nil
		}, only(201, "admin", "center", "worker")},
		"GET /api/v1/leave": {fixed("/api/v1/leave"), only(200, "admin", "center", "worker")},
		"POST /api/v1/leave/{id}/decision": {func(ta *testApp, _ string) (string, any, map[string]string) {
			l, _, err := ta.leave.Ask(context.Background(), principalOf(ta, "admin"), attendance.Request{Username: ownGrid, Kind: "rest", From: "2026-11-22", To: "2026-11-22"}, "")
			if err != nil {
				ta.t.Fatal(err)
			}
			return fmt.Sprintf("/api/v1/leave/%d/decision", l.ID), map[string]any{"approve": true}, map[string]string{"If-Match": `"1"`}
		}, only(200, "admin", "center")},
	}
}

// dutyMeeting stores a grid meeting in otherGrid and returns its id.
func dutyMeeting(ta *testApp) int64 {
	ta.t.Helper()
	m, _, err := ta.training.RecordMeeting(context.Background(), principalOf(ta, "admin"), training.MeetingIn{Kind: "grid", Date: "2026-11-20",
		Grid: otherGrid, Attendees: []string{"center"}}, "")
	if err != nil {
		ta.t.Fatal(err)
	}
	return m.ID
}

var _ = http.StatusOK
