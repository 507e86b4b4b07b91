package postgis_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/postgis"
)

// TestCaseWriteLooksUp: a case's write itself looks up what intake
// decides nothing on. Duplicates: reports at one place in one group each
// list every report of the category written before them, in their group's
// own transaction too (sorted by number, the order they were written in).
// The worker: the grid's worker on the day, none outside the grids. The
// number: the month's first case creates its sequence after the numbers
// already given; a report answered under a key already used takes no
// number; more than 999,999 in a month is refused with nothing stored; a
// sequence dropped by hand is made again by the month's next report.
func TestCaseWriteLooksUp(t *testing.T) {
	ctx := context.Background()
	db := dbtest.NewDemo(t)
	f := newCaseReports(t, db, postgis.NewCaseStore(db))
	f.store.Group = 1

	// Duplicates.
	first := f.mk("")
	var rest []*report
	for range 5 {
		rest = append(rest, f.mk(""))
	}
	f.run(db, first, rest)
	all := append([]*report{first}, rest...)
	for _, r := range all {
		if r.err != nil || r.existing != 0 {
			t.Fatalf("report %d: %v (existing %d)", r.c.ID, r.err, r.existing)
		}
	}
	slices.SortFunc(all, func(a, b *report) int { return strings.Compare(a.c.Number, b.c.Number) })
	var before []int64
	for i, r := range all {
		got := slices.Sorted(slices.Values(r.c.Duplicates))
		if want := slices.Sorted(slices.Values(before)); !slices.Equal(got, want) {
			t.Errorf("report %d (%s, written %d-th): duplicates %v, want %v", r.c.ID, r.c.Number, i+1, got, want)
		}
		var stored []int64
		if err := db.Pool.QueryRow(ctx, `SELECT duplicates FROM cases WHERE id = $1`, r.c.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(stored, r.c.Duplicates) {
			t.Errorf("report %d: stored duplicates %v, answered %v", r.c.ID, stored, r.c.Duplicates)
		}
		before = append(before, r.c.ID)
	}
	if xs := f.xacts(all); xs != 2 {
		t.Errorf("the reports committed in %d transactions, want 2", xs)
	}

	// The worker.
	var grid string
	var worker int64
	if err := db.Pool.QueryRow(ctx, `SELECT grid_code, user_id FROM grid_assignments
WHERE grid_role = 'worker' AND valid_from <= $1::date AND (valid_to IS NULL OR valid_to > $1::date) ORDER BY grid_code LIMIT 1`,
		f.query().Day).Scan(&grid, &worker); err != nil {
		t.Fatal(err)
	}
	in, out := f.mk(""), f.mk("")
	in.c.GridCode, in.c.GridChain = grid, []string{grid}
	f.send([]*report{in, out}).Wait()
	if in.err != nil || in.c.WorkerID != worker {
		t.Errorf("a report in grid %s: worker %d (%v), want %d", grid, in.c.WorkerID, in.err, worker)
	}
	if out.err != nil || out.c.WorkerID != 0 {
		t.Errorf("a report outside the grids: worker %d (%v), want none", out.c.WorkerID, out.err)
	}

	// The number.
	q := f.query()
	q.NumberMonth = "2031-05"
	write := func(r *report) { f.create(r, q) }
	given := f.mk("")
	given.c.Number = "2031-05-000007" // numbered some other way
	write(given)
	a, replay, b := f.mk("number-key"), f.mk("number-key"), f.mk("")
	write(a)
	write(replay)
	write(b)
	if given.err != nil || a.err != nil || replay.err != nil || b.err != nil {
		t.Fatalf("numbered reports: %v %v %v %v", given.err, a.err, replay.err, b.err)
	}
	if given.c.Number != "2031-05-000007" || a.c.Number != "2031-05-000008" || b.c.Number != "2031-05-000009" {
		t.Errorf("numbers %s, %s, %s; want the given 000007, then 000008 and 000009", given.c.Number, a.c.Number, b.c.Number)
	}
	if replay.existing != a.c.ID {
		t.Errorf("the key's second report answered with case %d, want %d", replay.existing, a.c.ID)
	}
	cases := func() int {
		var n int
		if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM cases WHERE number LIKE '2031-05-%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := db.Pool.Exec(ctx, `SELECT setval('case_numbers_203105', 999999)`); err != nil {
		t.Fatal(err)
	}
	full := f.mk("")
	write(full)
	if full.err == nil || full.p.Written() || cases() != 3 {
		t.Errorf("the month's 1,000,000th case: %v, audit entry written %v, %d cases; want an error and nothing stored", full.err, full.p.Written(), cases())
	}
	if _, err := db.Pool.Exec(ctx, `DROP SEQUENCE case_numbers_203105`); err != nil {
		t.Fatal(err)
	}
	lost, again := f.mk(""), f.mk("")
	write(lost)
	write(again)
	if lost.err == nil || again.err != nil || again.c.Number != "2031-05-000010" {
		t.Errorf("after the sequence was dropped: %v, then %s (%v); want an error, then 2031-05-000010", lost.err, again.c.Number, again.err)
	}
}

// xacts counts the transactions rs's cases were committed in.
func (f *caseReports) xacts(rs []*report) int {
	f.t.Helper()
	seen := map[string]bool{}
	for _, r := range rs {
		ok, xmin := f.stored(r)
		if !ok {
			f.t.Errorf("case %d not stored with its audit entry", r.c.ID)
		}
		seen[xmin] = true
	}
	return len(seen)
}
