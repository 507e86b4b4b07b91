package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/auditlog"
)

// TestAuditEntryCommitsWithTheChange: the audit entry of a case report,
// a patrol upload and a grid edit is written by the change's own
// transaction (the rows share their xmin), naming the created case; when
// the audit insert fails the change is not stored (500, nothing in the
// tables) and nothing is acknowledged; a read sent as POST (/locate)
// writes no entry; the chain verifies throughout.
func TestAuditEntryCommitsWithTheChange(t *testing.T) {
	ta := newCaseApp(t, &testClock{t: time.Now()})
	ctx := context.Background()
	worker := ta.login(ownGrid)
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := ta.db.Pool.QueryRow(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	sameTx := func(what, q string, args ...any) {
		t.Helper()
		if n := count(q, args...); n != 1 {
			t.Errorf("%s: %d audit entries written by the change's transaction, want 1", what, n)
		}
	}

	c := ta.report(worker, reportBody("0101", pointIn(ownGrid, 7, 30)), nil)
	sameTx("case report", `SELECT count(*) FROM audit_log a JOIN cases c ON c.xmin = a.xmin
WHERE c.id = $1 AND a.object = 'case:' || c.id AND a.route = '/api/v1/cases' AND a.actor = $2 AND a.grid_code = $3 AND a.status = 0`,
		c.ID, ownGrid, ownGrid)

	at := routeDay().Add(3 * time.Hour)
	up := ta.do("POST", "/api/v1/patrols/points", worker, pointsBody(ownGrid, "wgs84", []pt{{T: at, Lon: 117.53, Lat: 36.70, Acc: 5}}), nil)
	if up.Status != 200 && up.Status != 201 {
		t.Fatalf("patrol upload: %d %s", up.Status, up.Body)
	}
	sameTx("patrol upload", `SELECT count(*) FROM audit_log a JOIN patrol_points p ON p.xmin = a.xmin
WHERE p.t = $1 AND a.route = '/api/v1/patrols/points' AND a.actor = $2`, at, ownGrid)

	// The audit insert fails: nothing of the change may stay.
	if _, err := ta.db.Pool.Exec(ctx, `
CREATE FUNCTION test_audit_fails() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit store down'; END $$;
CREATE TRIGGER test_audit_fails BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION test_audit_fails();`); err != nil {
		t.Fatal(err)
	}
	cases, points, entries := count(`SELECT count(*) FROM cases`), count(`SELECT count(*) FROM patrol_points`), count(`SELECT count(*) FROM audit_log`)
	res := ta.do("POST", "/api/v1/cases", worker, reportBody("0101", pointIn(ownGrid, 8, 30)), nil)
	if res.Status != 500 {
		t.Errorf("case report without its audit entry: %d %s, want 500", res.Status, res.Body)
	}
	res = ta.do("POST", "/api/v1/patrols/points", worker, pointsBody(ownGrid, "wgs84", []pt{{T: at.Add(time.Minute), Lon: 117.53, Lat: 36.70, Acc: 5}}), nil)
	if res.Status != 500 {
		t.Errorf("patrol upload without its audit entry: %d %s, want 500", res.Status, res.Body)
	}
	if n := count(`SELECT count(*) FROM cases`); n != cases {
		t.Errorf("a case was stored without its audit entry: %d cases, were %d", n, cases)
	}
	if n := count(`SELECT count(*) FROM patrol_points`); n != points {
		t.Errorf("a fix was stored without its audit entry: %d fixes, were %d", n, points)
	}
	if _, err := ta.db.Pool.Exec(ctx, `DROP TRIGGER test_audit_fails ON audit_log; DROP FUNCTION test_audit_fails()`); err != nil {
		t.Fatal(err)
	}
	if n := count(`SELECT count(*) FROM audit_log`); n != entries {
		t.Errorf("%d audit entries while the audit store was down, want %d", n, entries)
	}

	// A lookup is a read: no entry.
	body := map[string]any{"crs": "wgs84", "points": [][]float64{{117.53, 36.70}}}
	if res := ta.do("POST", "/api/v1/locate", worker, body, nil); res.Status != 200 {
		t.Fatalf("locate: %d %s", res.Status, res.Body)
	}
	if n := count(`SELECT count(*) FROM audit_log WHERE route = '/api/v1/locate'`); n != 0 {
		t.Errorf("POST /locate wrote %d audit entries, want none", n)
	}
	// A refused write (nothing changed) is still recorded, after the answer.
	bad := ta.do("POST", "/api/v1/cases", worker, map[string]any{"category": "0101"}, nil)
	if bad.Status/100 != 4 {
		t.Fatalf("bad report: %d", bad.Status)
	}
	if n := count(`SELECT count(*) FROM audit_log WHERE route = '/api/v1/cases' AND status = $1`, bad.Status); n != 1 {
		t.Errorf("refused report: %d entries with status %d, want 1", n, bad.Status)
	}
	rep, err := auditlog.Verify(ctx, ta.auditLog.Store, "")
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Errorf("chain: %s", fmt.Sprint(rep.Breaks))
	}
}
