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
	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

// TestCaseGroupCommit: case reports that wait while the group writer runs
// are written together, in one transaction, each with its request's audit
// entry naming its case, numbered in the order written; when one report
// makes the shared transaction fail (photos that are no upload of the
// reporter), each is written by itself, so only the one at fault is
// refused; a report under the key of an earlier one of its group answers
// with that one's case without failing the group.
// report is a case report of the group tests: its case, its request's
// audit entry, its idempotency key ("": none) and the outcome.
type report struct {
	key      string
	photos   []int64
	c        *casework.Case
	p        *auditlog.Pending
	existing int64
	err      error
}

// caseReports makes, sends and checks the group tests' reports through
// store (whose database may be reached through a proxy) on the demo db.
type caseReports struct {
	t        *testing.T
	db       *postgis.DB
	store    *postgis.CaseStore
	reporter int64
	at       time.Time
}

func newCaseReports(t *testing.T, db *postgis.DB, store *postgis.CaseStore) *caseReports {
	f := &caseReports{t: t, db: db, store: store, at: time.Date(2026, 12, 3, 9, 0, 0, 0, workday.Shanghai())}
	if err := db.Pool.QueryRow(context.Background(), `SELECT id FROM users WHERE username = 'center'`).Scan(&f.reporter); err != nil {
		t.Fatal(err)
	}
	return f
}

// mk prepares a report (its id drawn ahead, IntakeFacts).
func (f *caseReports) mk(key string, photos ...int64) *report {
	ctx := context.Background()
	pt := orb.Point{117.53, 36.70}
	facts, err := f.store.IntakeFacts(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	if facts.CaseID == 0 {
		f.t.Fatal("IntakeFacts drew no case id")
	}
	c := &casework.Case{ID: facts.CaseID, Category: "0101", Description: "group " + key, Source: casework.SourceWorkerApp,
		Location: pt, ReportedAt: f.at, ReporterID: f.reporter, Status: casework.StatusReported, Version: 1, CreatedAt: f.at, UpdatedAt: f.at,
		Photos: photos, GridChain: []string{}, SuggestedCo: []string{}, Duplicates: []int64{}}
	return &report{key: key, photos: photos, c: c,
		p: auditlog.NewPending(&auditlog.Entry{At: f.at, Action: auditlog.ActionWrite, Actor: "center", Route: "/api/v1/cases"}, nil)}
}

// query is what the reports' writes look up: duplicates within 50 m in
// the 72 hours before, the worker and the number of their day.
func (f *caseReports) query() casework.IntakeQuery {
	return casework.IntakeQuery{RadiusM: 50, Since: f.at.Add(-72 * time.Hour), Day: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), NumberMonth: "2026-12"}
}

// create writes r's case, its write looking up q.
func (f *caseReports) create(r *report, q casework.IntakeQuery) {
	ev := []*casework.Event{{Action: casework.ActReport, ToStatus: casework.StatusReported, ActorID: f.reporter, ActorName: "center", At: f.at,
		Comment: r.c.Description, Attachments: r.photos, Data: map[string]any{}}}
	var key *casework.IdemKey
	if r.key != "" {
		key = &casework.IdemKey{UserID: f.reporter, Key: r.key, Hash: []byte(r.key)}
	}
	r.existing, _, r.err = f.store.CreateCase(auditlog.WithPending(context.Background(), r.p), r.c, ev, key, q)
}

// send creates the reports' cases concurrently.
func (f *caseReports) send(rs []*report) *sync.WaitGroup {
	var wg sync.WaitGroup
	for _, r := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.create(r, f.query())
		}()
	}
	return &wg
}

// run sends first, then the rest while first waits on a lock (db's), so
// that they queue behind it and are written as one group.
func (f *caseReports) run(db *postgis.DB, first *report, rest []*report) {
	f.t.Helper()
	queueBehindLock(f.t, db, "idempotency_keys", func() *sync.WaitGroup { return f.send([]*report{first}) },
		func() *sync.WaitGroup { return f.send(rest) }, func() bool { return postgis.CasesQueuedForTest(f.store) == len(rest) })
}

// stored reports whether r's case is in the table with its audit entry,
// and the case row's transaction.
func (f *caseReports) stored(r *report) (bool, string) {
	f.t.Helper()
	var n int
	var xmin string
	if err := f.db.Pool.QueryRow(context.Background(), `SELECT count(*), coalesce(min(c.xmin::text), '')
FROM cases c JOIN audit_log a ON a.object = 'case:' || c.id WHERE c.id = $1 AND c.xmin = a.xmin`, r.c.ID).Scan(&n, &xmin); err != nil {
		f.t.Fatal(err)
	}
	return n == 1, xmin
}

func TestCaseGroupCommit(t *testing.T) {
	ctx := context.Background()
	db := dbtest.NewDemo(t)
	store := postgis.NewCaseStore(db)
	store.Group = 1
	f := newCaseReports(t, db, store)
	mk, stored := f.mk, f.stored
	run := func(first *report, rest []*report) { f.run(db, first, rest) }

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
	// Their numbers follow the order they were written in (that of their
	// timelines' events), one after the other.
	rows, err := db.Pool.Query(ctx, `SELECT substr(c.number, 9)::int FROM cases c WHERE c.description LIKE 'group g-%'
ORDER BY (SELECT min(e.id) FROM case_events e WHERE e.case_id = c.id)`)
	if err != nil {
		t.Fatal(err)
	}
	numbers, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(numbers); i++ {
		if numbers[i] != numbers[i-1]+1 {
			t.Errorf("numbers in the order written: %v, want consecutive", numbers)
			break
		}
	}
	if len(numbers) != 7 {
		t.Errorf("%d numbered reports, want 7", len(numbers))
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

	// Phase 3: a report under the key of an earlier report of its group
	// (a resend) does not fail the group: the others share its
	// transaction, and the resend answers with the first's case.
	// Two others attach photos of their reporter.
	rows, err = db.Pool.Query(ctx, `INSERT INTO uploads (owner_id, content_type, data, width, height, sha256, created_at)
SELECT $1, 'image/png', '\x00', 1, 1, '\x00', now() FROM generate_series(1, 3) RETURNING id`, f.reporter)
	if err != nil {
		t.Fatal(err)
	}
	up, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	first = mk("i-first")
	held, resent := mk("i-dup"), mk("i-dup")
	withPhotos := []*report{mk("i-p0", up[0], up[1]), mk("i-p1", up[2])}
	others := append([]*report{mk("i-0"), mk("i-1")}, withPhotos...)
	run(first, append([]*report{held}, append(others, resent)...))
	if held.err != nil || resent.err != nil {
		t.Fatalf("one key twice in a group: %v, %v", held.err, resent.err)
	}
	if held.existing != 0 {
		held, resent = resent, held // the queue's order decides which one holds the key
	}
	if resent.existing != held.c.ID {
		t.Errorf("the resend answered case %d, want the key's case %d", resent.existing, held.c.ID)
	}
	xacts = map[string]bool{}
	for _, r := range append([]*report{held}, others...) {
		ok, xmin := stored(r)
		if !ok || r.existing != 0 || r.err != nil {
			t.Errorf("report %s: not stored with its audit entry (%v)", r.key, r.err)
		}
		xacts[xmin] = true
	}
	if len(xacts) != 1 {
		t.Errorf("the group's reports committed in %d transactions, want 1 (the resend failed the group)", len(xacts))
	}
	if ok, _ := stored(resent); ok || resent.p.Written() {
		t.Error("the resend was stored or its entry written with a change")
	}
	for _, r := range withPhotos {
		var attached []int64
		if err := db.Pool.QueryRow(ctx, `SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM uploads WHERE case_id = $1`, r.c.ID).Scan(&attached); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(attached) != fmt.Sprint(r.photos) {
			t.Errorf("report %s: photos %v attached, want %v", r.key, attached, r.photos)
		}
	}
	var n int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM cases WHERE description LIKE 'group %'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := 7 + 4 + 6; n != want {
		t.Errorf("%d cases stored, want %d", n, want)
	}
}

// TestCaseUnknownCommit: a case report whose connection breaks after its
// commit, before the answer (breakingProxy), is answered with its stored
// case, stored once with its audit entry, without an idempotency key: its
// id, drawn ahead, names it. The same for a group's shared transaction:
// each of its reports, written again by itself, finds its id taken.
func TestCaseUnknownCommit(t *testing.T) {
	ctx := context.Background()
	db := dbtest.NewDemo(t)
	proxy, proxied := newBreakingProxy(t, dbtest.URL(t, db))
	via, err := postgis.Open(ctx, postgis.Config{URL: proxied})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(via.Pool.Close)
	store := postgis.NewCaseStore(via)
	f := newCaseReports(t, db, store)
	check := func(phase string, rs ...*report) {
		t.Helper()
		for _, r := range rs {
			if r.err != nil || r.existing != 0 {
				t.Errorf("%s: report %q: %v (existing %d)", phase, r.c.Description, r.err, r.existing)
				continue
			}
			if ok, _ := f.stored(r); !ok || !r.p.Written() {
				t.Errorf("%s: report %q: not stored with its audit entry (written %v)", phase, r.c.Description, r.p.Written())
			}
		}
	}

	// A first report draws the block of audit entry ids (a statement of
	// its own) and prepares the case statement on the connection.
	warm := f.mk("")
	warm.c.Description = "lost nothing"
	f.send([]*report{warm}).Wait()
	check("first", warm)

	// Alone: the statement's answer is lost.
	one := f.mk("")
	one.c.Description = "lost answer"
	proxy.arm(1)
	f.send([]*report{one}).Wait()
	if proxy.broken.Load() != 1 {
		t.Fatalf("%d connections broken, want 1", proxy.broken.Load())
	}
	check("alone", one)

	// A group: the shared transaction's answer is lost.
	store.Group = 1
	first := f.mk("")
	first.c.Description = "lost group first"
	var rest []*report
	for i := range 4 {
		r := f.mk("")
		r.c.Description = fmt.Sprintf("lost group %d", i)
		rest = append(rest, r)
	}
	proxy.arm(2) // the group's response has a row per report
	f.run(db, first, rest)
	if proxy.broken.Load() != 2 {
		t.Fatalf("%d connections broken, want 2", proxy.broken.Load())
	}
	check("group", append([]*report{first}, rest...)...)
	var n int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM cases WHERE description LIKE 'lost %'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 7 {
		t.Errorf("%d cases stored, want 7", n)
	}
}
