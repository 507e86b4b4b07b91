package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/gridd/gridd/internal/auditlog"
	"github.com/jackc/pgx/v5"
)

// TestAuditLogRecordsWritesAndLogins checks that logins (good and bad) and
// writes land in the audit log with actor, route, status and request id,
// and that the chain verifies. (A write that changed something is written
// with its change, before the answer: status 0.)
func TestAuditLogRecordsWritesAndLogins(t *testing.T) {
	ta := newTestApp(t, true)
	ctx := context.Background()
	tok := ta.login("admin")
	bad := ta.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "wrong-password"}, nil)
	if bad.Status != 401 {
		t.Fatalf("bad login: %d", bad.Status)
	}
	g, err := ta.grids.FindGridByCode(ctx, otherGrid, nil)
	if err != nil {
		t.Fatal(err)
	}
	res := ta.do("PATCH", "/api/v1/grids/"+otherGrid, tok, map[string]string{"name": "审计测试网格"},
		map[string]string{"If-Match": fmt.Sprintf(`"%d"`, g.Version), "X-Request-Id": "req-audit-1"})
	if res.Status != 200 {
		t.Fatalf("patch: %d %s", res.Status, res.Body)
	}
	es, err := ta.auditLog.Store.FindEntries(ctx, auditlog.Filter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 3 {
		t.Fatalf("want 3 audit entries (login, failed login, patch), got %d", len(es))
	}
	patch, failed, login := es[0], es[1], es[2]
	if login.Action != auditlog.ActionLogin || login.Actor != "admin" || login.Status != 200 {
		t.Errorf("login entry: %+v", login)
	}
	if failed.Action != auditlog.ActionLoginFailed || failed.Actor != "admin" || failed.Status != 401 {
		t.Errorf("failed login entry: %+v", failed)
	}
	if patch.Action != auditlog.ActionWrite || patch.Actor != "admin" || patch.Role != "admin" || patch.Method != "PATCH" ||
		patch.Route != "/api/v1/grids/{code}" || patch.Status != 0 || patch.RequestID != "req-audit-1" || patch.Object != "code="+otherGrid {
		t.Errorf("patch entry: %+v", patch)
	}
	// GET requests are not recorded by the middleware.
	ta.do("GET", "/api/v1/grids/"+otherGrid, tok, nil, nil)
	if es2, _ := ta.auditLog.Store.FindEntries(ctx, auditlog.Filter{Limit: 10}); len(es2) != 3 {
		t.Errorf("a plain GET added an audit entry: %d entries", len(es2))
	}
	rep, err := auditlog.Verify(ctx, ta.auditLog.Store, "")
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Entries != 3 {
		t.Fatalf("verify: %+v", rep)
	}
	// The head noted now must be found later.
	if rep2, _ := auditlog.Verify(ctx, ta.auditLog.Store, rep.Head); !rep2.OK {
		t.Errorf("verify with the current head: %+v", rep2)
	}
	if rep3, _ := auditlog.Verify(ctx, ta.auditLog.Store, strings.Repeat("ab", 32)); rep3.OK {
		t.Errorf("verify with an unknown head passed")
	}
	// A refused write is recorded too, without an actor.
	if res := ta.do("POST", "/api/v1/auth/logout", "", nil, nil); res.Status != 401 {
		t.Fatalf("logout without a token: %d", res.Status)
	}
	last, _ := ta.auditLog.Store.FindEntries(ctx, auditlog.Filter{Limit: 1})
	if len(last) != 1 || last[0].Route != "/api/v1/auth/logout" || last[0].Status != 401 || last[0].Actor != "" {
		t.Errorf("refused write entry: %+v", last)
	}
}

// TestAuditLogAppendOnly: the trigger refuses UPDATE, DELETE and TRUNCATE,
// also for a non-owner application role (which cannot disable it either);
// a superuser who disables the trigger and edits or deletes a row is
// caught by verify-log.
func TestAuditLogAppendOnly(t *testing.T) {
	ta := newTestApp(t, true)
	ctx := context.Background()
	for i := 0; i < 4; i++ {
		if err := ta.auditLog.Record(ctx, &auditlog.Entry{Action: auditlog.ActionWrite, Actor: fmt.Sprintf("user%d", i), Object: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{`UPDATE audit_log SET actor = 'mallory'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`} {
		if _, err := ta.db.Pool.Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: want the append-only refusal, got %v", q, err)
		}
	}

	// A separate, non-superuser application role with full table grants.
	role := fmt.Sprintf("gridd_app_%d", os.Getpid())
	admin := ta.db.Pool
	if _, err := admin.Exec(ctx, `DROP ROLE IF EXISTS `+role); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, `CREATE ROLE `+role+` LOGIN`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), `REVOKE ALL ON audit_log FROM `+role)
		_, _ = admin.Exec(context.Background(), `DROP OWNED BY `+role)
		_, _ = admin.Exec(context.Background(), `DROP ROLE IF EXISTS `+role)
	})
	if _, err := admin.Exec(ctx, `GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON audit_log TO `+role); err != nil {
		t.Fatal(err)
	}
	cfg := admin.Config().ConnConfig.Copy()
	cfg.User = role
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{`UPDATE audit_log SET actor = 'mallory'`, `DELETE FROM audit_log WHERE id = 1`, `TRUNCATE audit_log`,
		`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change`} {
		if _, err := conn.Exec(ctx, q); err == nil {
			t.Errorf("app role: %s succeeded", q)
		}
	}
	if rep, _ := auditlog.Verify(ctx, ta.auditLog.Store, ""); !rep.OK || rep.Entries != 4 {
		t.Fatalf("before tampering: %+v", rep)
	}

	// Superuser tampering: disable the trigger, edit a row, enable it.
	tamper := func(q string) {
		t.Helper()
		err := pgx.BeginFunc(ctx, admin, func(tx pgx.Tx) error {
			for _, s := range []string{`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change`, q, `ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change`} {
				if _, err := tx.Exec(ctx, s); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var ids []int64
	rows, _ := admin.Query(ctx, `SELECT id FROM audit_log ORDER BY id`)
	ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	tamper(fmt.Sprintf(`UPDATE audit_log SET actor = 'mallory' WHERE id = %d`, ids[1]))
	rep, err := auditlog.Verify(ctx, ta.auditLog.Store, "")
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || len(rep.Breaks) != 1 || rep.Breaks[0].ID != ids[1] || rep.Breaks[0].Reason != "content_altered" {
		t.Fatalf("edited row: want one content_altered break at %d, got %+v", ids[1], rep)
	}
	if err := verifyLog(ctx, ta.app, Config{}, ""); err == nil {
		t.Errorf("gridd audit verify-log passed on an edited log")
	}

	tamper(fmt.Sprintf(`DELETE FROM audit_log WHERE id = %d`, ids[2]))
	rep, _ = auditlog.Verify(ctx, ta.auditLog.Store, "")
	found := false
	for _, b := range rep.Breaks {
		if b.ID == ids[3] && b.Reason == "prev_hash_mismatch" {
			found = true
		}
	}
	if !found {
		t.Errorf("deleted row: want a prev_hash_mismatch at %d, got %+v", ids[3], rep.Breaks)
	}
}
