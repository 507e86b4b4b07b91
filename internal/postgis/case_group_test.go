package postgis_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/auditlog"
	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/gridd/gridd/internal/workday"
	"github.com/paulmach/orb"
)

// TestCaseGroupCommit: case reports that wait while the group writer runs
// are written together, in one transaction, each with its request's audit
// entry naming its case; when one report makes the shared transaction fail
// (photos that are no upload of the reporter, two reports under one
// idempotency key), each is written by itself, so only the one at fault
// is refused and the key's second report answers with the first's case.
func TestCaseGroupCommit(t *testing.T) {
	ctx := context.Background()
	db := dbtest.NewDemo(t)
	store := postgis.NewCaseStore(db)
	store.Group = 1
	var reporter int64
	if err := db.Pool.QueryRow(ctx, `SELECT id FROM users WHERE username = 'center'`).Scan(&reporter); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, workday.Shanghai())

	type report struct {
		key      string
		photos   []int64
		c        *casework.Case
		p        *auditlog.Pending
		existing int64
		err      error
	}
	mk := func(key string, photos ...int64) *report {
		pt := orb.Point{117.53, 36.70}
		f, err := store.IntakeFacts(ctx, casework.IntakeQuery{Category: "0101", Point: pt, RadiusM: 50, Since: at.Add(-72 * time.Hour),
			Day: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), NumberMonth: "2026-12"})
		if err != nil {
			t.Fatal(err)
		}
		if f.CaseID == 0 {
			t.Fatal("IntakeFacts drew no case id")
		}
		c := &casework.Case{ID: f.CaseID, Number: f.Number, Category: "0101", Description: "group " + key, Source: casework.SourceWorkerApp,
			Location: pt, ReportedAt: at, ReporterID: reporter, Status: casework.StatusReported, Version: 1, CreatedAt: at, UpdatedAt: at,
			Photos: photos, GridChain: []string{}, SuggestedCo: []string{}, Duplicates: []int64{}}
		return &report{key: key, photos: photos, c: c,
			p: auditlog.NewPending(&auditlog.Entry{At: at, Action: auditlog.ActionWrite, Actor: "center", Route: "/api/v1/cases"}, nil)}
	}
	send := func(rs []*report) *sync.WaitGroup {
		var wg sync.WaitGroup
		for _, r := range rs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ev := []*casework.Event{{Action: casework.ActReport, ToStatus: casework.StatusReported, ActorID: reporter, ActorName: "center", At: at,
					Comment: r.c.Description, Attachments: r.photos, Data: map[string]any{}}}
				r.existing, _, r.err = store.CreateCase(auditlog.WithPending(ctx, r.p), r.c, ev,
					&casework.IdemKey{UserID: reporter, Key: r.key, Hash: []byte(r.key)})
			}()
		}
		return &wg
	}
	run := func(first *report, rest []*report) {
		t.Helper()
		queueBehindLock(t, db, "idempotency_keys", func() *sync.WaitGroup { return send([]*report{first}) },
			func() *sync.WaitGroup { return send(rest) }, func() bool { return postgis.CasesQueuedForTest(store) == len(rest) })
	}
	// stored reports whether r's case is in the table with its audit
	// entry, and the case row's transaction.
	stored := func(r *report) (bool, string) {
		t.Helper()
		var n int
		var xmin string
		if err := db.Pool.QueryRow(ctx, `SELECT count(*), coalesce(min(c.xmin::text), '')
FROM cases c JOIN audit_log a ON a.object = 'case:' || c.id WHERE c.id = $1 AND c.xmin = a.xmin`, r.c.ID).Scan(&n, &xmin); err != nil {
			t.Fatal(err)
		}
		return n == 1, xmin
	}

	// Phase 1: six reports share one transaction.
	first := mk("g-first")
	var shared []*report
	for i := range 6 {
		shared = append(shared, mk(fmt.Sprintf("g-%d", i)))
	}
	run(first, shared)
	xacts := map[string]bool{}
	for _, r := range append([]*report{first}, shared...) {
		if r.err != nil || r.existing != 0 {
			t.Fatalf("report %s: %v (existing %d)", r.key, r.err, r.existing)
		}
		if !r.p.Written() {
			t.Errorf("report %s: audit entry not written with the case", r.key)
		}
		ok, xmin := stored(r)
		if !ok {
			t.Errorf("report %s: case %d and its entry not stored in one transaction", r.key, r.c.ID)
		}
		xacts[xmin] = true
	}
	if len(xacts) != 2 {
		t.Errorf("the 7 reports committed in %d transactions, want 2 (the first, then the six queued behind it)", len(xacts))
	}

	// Phase 2: a report with a photo that is no upload of the reporter,
	// and two reports under one key, fail the shared transaction.
	first = mk("h-first")
	bad := mk("h-bad", 999_999_999)
	dupA, dupB := mk("h-dup"), mk("h-dup")
	good := []*report{mk("h-0"), mk("h-1")}
	run(first, append([]*report{bad, dupA, dupB}, good...))
	for _, r := range append([]*report{first}, good...) {
		if r.err != nil || r.existing != 0 {
			t.Fatalf("report %s: %v (existing %d)", r.key, r.err, r.existing)
		}
		if ok, _ := stored(r); !ok || !r.p.Written() {
			t.Errorf("report %s: not stored with its audit entry (written %v)", r.key, r.p.Written())
		}
	}
	if !errs.Is(bad.err, errs.Invalid) {
		t.Errorf("report with another's photo: %v, want invalid (unknown_upload)", bad.err)
	}
	if ok, _ := stored(bad); ok || bad.p.Written() {
		t.Error("the refused report was stored or its entry written with a change")
	}
	// One of the two under one key is created; the other answers with it.
	created, replay := dupA, dupB
	if dupA.existing != 0 {
		created, replay = dupB, dupA
	}
	if created.err != nil || created.existing != 0 || replay.err != nil || replay.existing != created.c.ID {
		t.Fatalf("one key twice: %v/%d and %v/%d", dupA.err, dupA.existing, dupB.err, dupB.existing)
	}
	if ok, _ := stored(created); !ok || !created.p.Written() {
		t.Error("the key's first report: not stored with its audit entry")
	}
	if ok, _ := stored(replay); ok || replay.p.Written() {
		t.Error("the key's second report was stored or its entry written with a change")
	}
	var n int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM cases WHERE description LIKE 'group %'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := 7 + 4; n != want {
		t.Errorf("%d cases stored, want %d", n, want)
	}
}
