package main

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/demo"
	"github.com/gridd/gridd/internal/patrol"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/gridd/gridd/internal/workday"
)

// partitionRows returns how many fixes a table of patrol_points holds.
func partitionRows(t *testing.T, ta *testApp, table string) int {
	t.Helper()
	var n int
	if err := ta.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPatrolPartitionsAheadAndDefault: the scheduled job's months exist
// after EnsureMonthsAhead; a fix stored while its month had no partition
// (a direct load) lands in the default partition and moves into the
// month's partition when intake creates it; the COPY path stores the same
// as the INSERT path and keeps a re-sent fix once.
func TestPatrolPartitionsAheadAndDefault(t *testing.T) {
	ta := newTestApp(t, true)
	ctx := context.Background()
	sh := workday.Shanghai()
	months, err := ta.patrolStore.EnsureMonthsAhead(ctx, time.Date(2027, 3, 31, 23, 30, 0, 0, sh), 2)
	if err != nil || len(months) != 3 {
		t.Fatalf("ahead: %v %v", months, err)
	}
	parts, err := ta.patrolStore.PatrolPartitions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, p := range parts {
		have[p.Table] = true
	}
	for _, want := range []string{"patrol_points_y2027m03", "patrol_points_y2027m04", "patrol_points_y2027m05"} {
		if !have[want] {
			t.Errorf("no partition %s in %v", want, parts)
		}
	}
	if have["patrol_points_y2027m06"] {
		t.Errorf("a partition beyond the months asked for")
	}

	u, err := ta.people.FindUserByUsername(ctx, ownGrid)
	if err != nil {
		t.Fatal(err)
	}
	// August 2027 has no partition: a direct insert lands in the default.
	aug := time.Date(2027, 8, 1, 0, 10, 0, 0, sh) // 2027-07-31 16:10 UTC, an August fix in Shanghai
	if _, err := ta.db.Pool.Exec(ctx, `INSERT INTO patrol_points (worker_id, t, lon, lat, received_at) VALUES ($1, $2, 117.53, 36.70, $2)`, u.ID, aug); err != nil {
		t.Fatal(err)
	}
	if n := partitionRows(t, ta, "patrol_points_default"); n != 1 {
		t.Fatalf("default partition holds %d rows, want 1", n)
	}
	fix := func(t0 time.Time, n int) []patrol.Fix {
		out := make([]patrol.Fix, n)
		for i := range out {
			out[i] = patrol.Fix{T: t0.Add(time.Duration(i) * 5 * time.Second), Lon: 117.53 + float64(i)*1e-5, Lat: 36.70, AccuracyM: 5, ReceivedAt: t0}
		}
		return out
	}
	// Intake of August: the month's partition is made and takes the row.
	n, err := ta.patrols.Intake(ctx, u.ID, fix(aug, 12))
	if err != nil || n != 11 { // the first repeats the loaded row
		t.Fatalf("intake: %d new, %v; want 11", n, err)
	}
	if d, m := partitionRows(t, ta, "patrol_points_default"), partitionRows(t, ta, "patrol_points_y2027m08"); d != 0 || m != 12 {
		t.Fatalf("after the month's partition: default %d, August %d; want 0 and 12", d, m)
	}

	// COPY: the same batch once more adds nothing; a longer one adds the rest.
	ta.patrolStore.CopyMin = 1
	defer func() { ta.patrolStore.CopyMin = 0 }()
	if n, err := ta.patrols.Intake(ctx, u.ID, fix(aug, 12)); err != nil || n != 0 {
		t.Fatalf("re-sent by COPY: %d new, %v", n, err)
	}
	if n, err := ta.patrols.Intake(ctx, u.ID, fix(aug, 100)); err != nil || n != 88 {
		t.Fatalf("COPY: %d new, %v; want 88", n, err)
	}
	got, err := ta.patrolStore.FindFixes(ctx, u.ID, aug, aug.Add(time.Hour))
	if err != nil || len(got) != 100 {
		t.Fatalf("stored %d, %v", len(got), err)
	}
	want := fix(aug, 100)
	want[0].AccuracyM = 0 // the loaded row was kept: a re-sent fix is stored once
	for i := range got {
		if !got[i].T.Equal(want[i].T) || got[i].Lon != want[i].Lon || got[i].AccuracyM != want[i].AccuracyM {
			t.Fatalf("fix %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// The days touched are dirty, as with the INSERT path.
	dirty, err := ta.patrolStore.DirtyDays(ctx, []int64{u.ID}, aug, aug.AddDate(0, 0, 1))
	if err != nil || len(dirty) != 1 {
		t.Fatalf("dirty: %v %v", dirty, err)
	}
}

// TestPatrolArchive archives the demo month through the CLI (gzip CSV,
// table dropped): the file holds every fix, the month's audit is the same
// as before (its days are not recomputed from the missing fixes, even when
// marked dirty), and fixes for the month are refused with a 422 through
// the API and by the default partition's trigger on a direct insert.
func TestPatrolArchive(t *testing.T) {
	db := dbtest.NewDemo(t)
	url := dbtest.URL(t, db)
	ctx := context.Background()
	ta := serveTestApp(t, Config{DatabaseURL: url, StatementTimeout: 30 * time.Second, TokenTTL: time.Hour, MaxBody: 1 << 20})
	month := demo.DemoPatrolMonth
	table := "patrol_points_y" + month.Format("2006") + "m" + month.Format("01")
	before, err := ta.patrols.Audit(ctx, month, "", patrol.AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fixes := partitionRows(t, ta, table)
	if fixes == 0 {
		t.Fatal("the demo month has no fixes")
	}
	dir := t.TempDir()
	next := month.AddDate(0, 1, 0).Format("2006-01")
	if err := run(ctx, []string{"patrols", "archive", "--database-url", url}); err == nil || !strings.Contains(err.Error(), "--before") {
		t.Errorf("archive without --before: %v", err)
	}
	if err := run(ctx, []string{"patrols", "archive", "--before", next, "--out", dir, "--drop", "--database-url", url}); err != nil {
		t.Fatal(err)
	}
	var exists bool
	if err := db.Pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&exists); err != nil || exists {
		t.Fatalf("%s still exists (%v)", table, err)
	}
	f, err := os.Open(filepath.Join(dir, table+".csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	cr := csv.NewReader(zr)
	head, err := cr.Read()
	if err != nil || strings.Join(head, ",") != "worker_id,t,lon,lat,accuracy_m,speed_mps,received_at" {
		t.Fatalf("header %v %v", head, err)
	}
	lines := 0
	for {
		if _, err := cr.Read(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		lines++
	}
	if lines != fixes {
		t.Errorf("archive file holds %d fixes, the partition held %d", lines, fixes)
	}
	// The listing runs and the scheduled months are made by hand too.
	if err := run(ctx, []string{"patrols", "partitions", "--ahead", "1", "--database-url", url}); err != nil {
		t.Fatal(err)
	}
	arch, err := ta.patrolStore.ArchivedMonths(ctx)
	if err != nil || len(arch) != 1 || !arch[0].Month.Equal(month) || arch[0].Fixes != int64(fixes) {
		t.Fatalf("archived months %+v %v", arch, err)
	}

	// The month's figures stand, even with every day marked dirty.
	if _, err := db.Pool.Exec(ctx, `
INSERT INTO patrol_dirty_days (worker_id, day, seq)
SELECT worker_id, day, nextval('patrol_dirty_seq') FROM patrol_days WHERE day >= $1::date AND day < $2::date
ON CONFLICT (worker_id, day) DO UPDATE SET seq = EXCLUDED.seq`, month.Format("2006-01-02"), month.AddDate(0, 1, 0).Format("2006-01-02")); err != nil {
		t.Fatal(err)
	}
	after, err := ta.patrols.Audit(ctx, month, "", patrol.AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Rows) != len(before.Rows) || len(before.Rows) == 0 {
		t.Fatalf("%d rows after, %d before", len(after.Rows), len(before.Rows))
	}
	for i := range before.Rows {
		if !reflect.DeepEqual(before.Rows[i], after.Rows[i]) {
			t.Errorf("row %d changed by the archive:\n%+v\n%+v", i, before.Rows[i], after.Rows[i])
		}
	}

	// Fixes for the archived month are refused, nothing stored.
	tok := ta.login(ownGrid)
	at := month.AddDate(0, 0, 3).Add(9 * time.Hour)
	res := ta.do("POST", "/api/v1/patrols/points", tok, pointsBody(ownGrid, "wgs84", []pt{{T: at, Lon: 117.53, Lat: 36.70, Acc: 5}}), nil)
	if res.Status != 422 || !strings.Contains(string(res.Body), "patrol_month_archived") {
		t.Errorf("fix of an archived month: %d %s", res.Status, res.Body)
	}
	u, err := ta.people.FindUserByUsername(ctx, ownGrid)
	if err != nil {
		t.Fatal(err)
	}
	// An instance whose partition cache predates the archive inserts
	// straight away: the default partition's trigger refuses.
	_, err = db.Pool.Exec(ctx, `INSERT INTO patrol_points (worker_id, t, lon, lat, received_at) VALUES ($1, $2, 117.53, 36.70, $2)`, u.ID, at)
	if err == nil || !strings.Contains(err.Error(), "archived") {
		t.Errorf("direct insert into an archived month: %v", err)
	}
	if n := partitionRows(t, ta, "patrol_points_default"); n != 0 {
		t.Errorf("default partition holds %d rows", n)
	}
	// Archiving again finds nothing to do; a drop without a file is refused.
	if got, err := ta.patrolStore.ArchivePatrols(ctx, postgis.ArchiveOptions{Before: month.AddDate(0, 1, 0), Now: time.Now()}); err != nil || len(got) != 0 {
		t.Errorf("second archive: %v %v", got, err)
	}
	if _, err := ta.patrolStore.ArchivePatrols(ctx, postgis.ArchiveOptions{Before: month.AddDate(0, 1, 0), Drop: true}); err == nil {
		t.Error("a drop without --dir was accepted")
	}
}

// TestPatrolSettleEqualsRecompute replays recorded fixes of the demo month
// (four workers, the first six days) in 12-fix batches in time order,
// settling (the patrol_settle job's work) every 30 batches, and checks
// that the stored days then equal a full recomputation of the same days
// from the same fixes — and that the settling left nothing for the
// month-end read to compute.
func TestPatrolSettleEqualsRecompute(t *testing.T) {
	ta := newTestApp(t, true)
	ctx := context.Background()
	sh := workday.Shanghai()
	month := time.Date(demo.DemoPatrolMonth.Year(), demo.DemoPatrolMonth.Month(), 1, 0, 0, 0, 0, sh)
	end := month.AddDate(0, 0, 6)
	var workers []int64
	rows, err := ta.db.Pool.Query(ctx, `SELECT DISTINCT worker_id FROM patrol_points WHERE t >= $1 AND t < $2 ORDER BY worker_id LIMIT 4`, month, end)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var w int64
		if err := rows.Scan(&w); err != nil {
			t.Fatal(err)
		}
		workers = append(workers, w)
	}
	rows.Close()
	if len(workers) != 4 {
		t.Fatalf("workers %v", workers)
	}
	recorded := map[int64][]patrol.Fix{}
	total := 0
	for _, w := range workers {
		fs, err := ta.patrolStore.FindFixes(ctx, w, month, end)
		if err != nil {
			t.Fatal(err)
		}
		recorded[w] = fs
		total += len(fs)
	}
	clock := end.Add(time.Hour)
	svc := &patrol.Service{Store: ta.patrolStore, Grids: ta.patrols.Grids, People: ta.patrols.People, Rules: ta.patrols.Rules,
		Loc: sh, Tree: ta.patrols.Tree, Now: func() time.Time { return clock }}

	// Full recomputation: every day of these workers dirty, computed at once.
	if _, err := ta.db.Pool.Exec(ctx, `
INSERT INTO patrol_dirty_days (worker_id, day, seq)
SELECT w, d::date, nextval('patrol_dirty_seq') FROM unnest($1::bigint[]) w, generate_series($2::date, $3::date - 1, interval '1 day') d
ON CONFLICT (worker_id, day) DO UPDATE SET seq = EXCLUDED.seq`, workers, month.Format("2006-01-02"), end.Format("2006-01-02")); err != nil {
		t.Fatal(err)
	}
	if n, err := svc.Settle(ctx); err != nil || n < 24 {
		t.Fatalf("full recomputation: %d days, %v", n, err)
	}
	full, err := ta.patrolStore.FindDays(ctx, workers, month, end)
	if err != nil {
		t.Fatal(err)
	}

	// Forget the fixes and days (gridd never deletes days: the test deletes
	// their grids with them); replay in batches as they arrived.
	for _, q := range []string{
		`DELETE FROM patrol_points WHERE worker_id = ANY($1) AND t >= $2 AND t < $3`,
		`DELETE FROM patrol_day_grids WHERE worker_id = ANY($1) AND day >= $2::timestamptz::date AND day < $3::timestamptz::date`,
		`DELETE FROM patrol_days WHERE worker_id = ANY($1) AND day >= $2::timestamptz::date AND day < $3::timestamptz::date`,
		`DELETE FROM patrol_dirty_days WHERE worker_id = ANY($1) AND day >= $2::timestamptz::date AND day < $3::timestamptz::date`,
	} {
		if _, err := ta.db.Pool.Exec(ctx, q, workers, month, end); err != nil {
			t.Fatal(err)
		}
	}
	type batch struct {
		w     int64
		fixes []patrol.Fix
	}
	var batches []batch
	for _, w := range workers {
		fs := recorded[w]
		for i := 0; i < len(fs); i += 12 {
			batches = append(batches, batch{w, fs[i:min(i+12, len(fs))]})
		}
	}
	// Time order across workers, as phones send them.
	sort.SliceStable(batches, func(i, j int) bool { return batches[i].fixes[0].T.Before(batches[j].fixes[0].T) })
	settled, partial := 0, 0
	for i, b := range batches {
		if _, err := svc.Intake(ctx, b.w, b.fixes); err != nil {
			t.Fatal(err)
		}
		if i%30 == 29 {
			n, err := svc.Settle(ctx)
			if err != nil {
				t.Fatal(err)
			}
			settled += n
			if n > 0 {
				partial++
			}
		}
	}
	n, err := svc.Settle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d fixes in %d batches; %d settle runs computed %d worker-days; the last computed %d", total, len(batches), partial, settled, n)
	if partial < 10 {
		t.Errorf("only %d settle runs found work: the days were not computed as the fixes arrived", partial)
	}
	if left, err := ta.patrolStore.DirtyDays(ctx, workers, month, end); err != nil || len(left) != 0 {
		t.Errorf("dirty days left for the month's end: %v %v", left, err)
	}
	inc, err := ta.patrolStore.FindDays(ctx, workers, month, end)
	if err != nil {
		t.Fatal(err)
	}
	if len(inc) != len(full) {
		t.Fatalf("%d days incrementally, %d by full recomputation", len(inc), len(full))
	}
	for i := range full {
		a, b := *full[i], *inc[i]
		a.ComputedAt, b.ComputedAt = time.Time{}, time.Time{}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("worker %d day %s differs:\nfull        %+v\nincremental %+v", a.WorkerID, a.Date.Format("2006-01-02"), a, b)
		}
	}
}

// TestPatrolJobs: with the job client running, the partitions of this
// month and the next two exist, and fixes posted through the API have
// their day computed by the patrol_settle job without any read.
func TestPatrolJobs(t *testing.T) {
	ta := newTestApp(t, true)
	ta.patrolSettleEvery = time.Second
	ctx, cancel := context.WithCancel(context.Background())
	stop, err := ta.startJobs(ctx, Config{InstanceID: "patrol-jobs", JobPoll: 50 * time.Millisecond})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(); cancel() })
	now := time.Now().In(workday.Shanghai())
	for i := range 3 {
		m := time.Date(now.Year(), now.Month()+time.Month(i), 1, 0, 0, 0, 0, workday.Shanghai())
		name := "patrol_points_y" + m.Format("2006") + "m" + m.Format("01")
		eventually(t, name+" made by the job", func() bool {
			return countRows(t, ta, `SELECT count(*) FROM pg_class WHERE relname = $1`, name) == 1
		})
	}
	tok := ta.login(ownGrid)
	at := routeDay()
	var pts []pt
	for i := range 12 {
		pts = append(pts, pt{T: at.Add(time.Duration(i) * 5 * time.Second), Lon: 117.53, Lat: 36.70, Acc: 5})
	}
	if res := ta.do("POST", "/api/v1/patrols/points", tok, pointsBody(ownGrid, "wgs84", pts), nil); res.Status != 200 {
		t.Fatalf("upload: %d %s", res.Status, res.Body)
	}
	u, err := ta.people.FindUserByUsername(context.Background(), ownGrid)
	if err != nil {
		t.Fatal(err)
	}
	day := at.Format("2006-01-02")
	eventually(t, "the day settled by the job", func() bool {
		return countRows(t, ta, `SELECT count(*) FROM patrol_dirty_days WHERE worker_id = $1 AND day = $2::date`, u.ID, day) == 0 &&
			countRows(t, ta, `SELECT count(*) FROM patrol_days WHERE worker_id = $1 AND day = $2::date AND fixes >= 12`, u.ID, day) == 1
	})
}
