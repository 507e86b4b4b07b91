package postgis

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/gridd/gridd/internal/patrol"
	"github.com/gridd/gridd/internal/workday"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paulmach/orb"
)

// PatrolStore implements patrol.Store.
type PatrolStore struct {
	db *DB
	// Loc is the time zone of days and of the monthly partitions.
	Loc *time.Location

	// CopyMin: batches of at least this many fixes are loaded by COPY
	// into a temporary table and inserted from there (0: never); smaller
	// ones by one INSERT … SELECT FROM unnest. Either way one statement
	// inserts the batch, ON CONFLICT keeps a re-sent fix once.
	CopyMin int

	// Group: how many transactions may write patrol uploads at once,
	// each taking every upload waiting when it starts (patrol_group.go);
	// 0: every upload its own transaction.
	Group int
	group groupQueue[*fixJob]

	mu         sync.Mutex
	partitions map[string]bool
}

var _ patrol.Store = (*PatrolStore)(nil)

// NewPatrolStore returns the patrol store on db; days are civil days in loc.
func NewPatrolStore(db *DB, loc *time.Location) *PatrolStore {
	return &PatrolStore{db: db, Loc: loc, partitions: map[string]bool{}}
}

func (s *PatrolStore) civilDay(t time.Time) string { return t.In(s.Loc).Format("2006-01-02") }

// InsertFixes stores fixes once per (worker, t) and marks the days of the
// new ones dirty, in one transaction: its own, or with Group > 0 and
// fewer than CopyMin fixes, one shared with concurrent uploads
// (patrol_group.go).
func (s *PatrolStore) InsertFixes(ctx context.Context, workerID int64, fixes []patrol.Fix, loc *time.Location) (int, error) {
	if len(fixes) == 0 {
		return 0, nil
	}
	ts := make([]time.Time, len(fixes))
	for i, f := range fixes {
		ts[i] = f.T
	}
	if err := s.ensurePartitions(ctx, ts); err != nil {
		return 0, err
	}
	if s.Group > 0 && (s.CopyMin <= 0 || len(fixes) < s.CopyMin) {
		return s.submit(&fixJob{groupState: newGroupState(ctx), workerID: workerID, fixes: fixes})
	}
	return s.insertOne(ctx, workerID, fixes)
}

// insertOne writes one upload in its own transaction.
func (s *PatrolStore) insertOne(ctx context.Context, workerID int64, fixes []patrol.Fix) (int, error) {
	ts := make([]time.Time, len(fixes))
	lon := make([]float64, len(fixes))
	lat := make([]float64, len(fixes))
	acc := make([]float32, len(fixes))
	spd := make([]float32, len(fixes))
	recv := make([]time.Time, len(fixes))
	for i, f := range fixes {
		ts[i], lon[i], lat[i], acc[i], spd[i], recv[i] = f.T, f.Lon, f.Lat, float32(f.AccuracyM), float32(f.SpeedMps), f.ReceivedAt
	}
	n := 0
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		var rows pgx.Rows
		var err error
		if s.CopyMin > 0 && len(fixes) >= s.CopyMin {
			rows, err = copyFixes(ctx, tx, workerID, fixes)
		} else {
			rows, err = tx.Query(ctx, `
INSERT INTO patrol_points (worker_id, t, lon, lat, accuracy_m, speed_mps, received_at)
SELECT $1, u.t, u.lon, u.lat, u.acc, u.spd, u.recv
FROM unnest($2::timestamptz[], $3::float8[], $4::float8[], $5::real[], $6::real[], $7::timestamptz[]) AS u(t, lon, lat, acc, spd, recv)
ON CONFLICT (worker_id, t) DO NOTHING
RETURNING t`, workerID, ts, lon, lat, acc, spd, recv)
		}
		if err != nil {
			return err
		}
		days := dayMarks{loc: s.Loc}
		for rows.Next() {
			var t time.Time
			if err := rows.Scan(&t); err != nil {
				rows.Close()
				return err
			}
			n++
			days.add(workerID, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		return days.mark(ctx, tx)
	})
	return n, translateFixes(err)
}

// copyFixes loads fixes by COPY into the session's temporary table
// patrol_intake (emptied at commit) and inserts the new ones from there,
// returning their times.
func copyFixes(ctx context.Context, tx pgx.Tx, workerID int64, fixes []patrol.Fix) (pgx.Rows, error) {
	if _, err := tx.Exec(ctx, `
CREATE TEMPORARY TABLE IF NOT EXISTS patrol_intake (
	t timestamptz, lon float8, lat float8, acc real, spd real, recv timestamptz
) ON COMMIT DELETE ROWS`); err != nil {
		return nil, err
	}
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == len(fixes) {
			return nil, nil
		}
		f := fixes[i]
		i++
		return []any{f.T, f.Lon, f.Lat, float32(f.AccuracyM), float32(f.SpeedMps), f.ReceivedAt}, nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"patrol_intake"}, []string{"t", "lon", "lat", "acc", "spd", "recv"}, src); err != nil {
		return nil, err
	}
	return tx.Query(ctx, `
INSERT INTO patrol_points (worker_id, t, lon, lat, accuracy_m, speed_mps, received_at)
SELECT $1, t, lon, lat, acc, spd, recv FROM patrol_intake
ON CONFLICT (worker_id, t) DO NOTHING
RETURNING t`, workerID)
}

// CopyFixes bulk-loads fixes of several workers that are known to be new
// (the demo loader) and marks their days dirty.
func (s *PatrolStore) CopyFixes(ctx context.Context, byWorker map[int64][]patrol.Fix) error {
	var all []time.Time
	for _, fs := range byWorker {
		for _, f := range fs {
			all = append(all, f.T)
		}
	}
	if err := s.ensurePartitions(ctx, all); err != nil {
		return err
	}
	workers := make([]int64, 0, len(byWorker))
	for w := range byWorker {
		workers = append(workers, w)
	}
	sort.Slice(workers, func(i, j int) bool { return workers[i] < workers[j] })
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		var rows [][]any
		for _, w := range workers {
			for _, f := range byWorker[w] {
				rows = append(rows, []any{w, f.T, f.Lon, f.Lat, float32(f.AccuracyM), float32(f.SpeedMps), f.ReceivedAt})
			}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"patrol_points"},
			[]string{"worker_id", "t", "lon", "lat", "accuracy_m", "speed_mps", "received_at"}, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		days := dayMarks{loc: s.Loc}
		for _, w := range workers {
			for _, f := range byWorker[w] {
				days.add(w, f.T)
			}
		}
		return days.mark(ctx, tx)
	})
	return translateFixes(err)
}

// FindFixes returns a worker's fixes with from ≤ t < to, sorted by t.
//
// The settle job reads every fix of the city once (100 M in a month of
// 10,000 workers), so rows in PostgreSQL's binary format are decoded here
// (fixRow) rather than through a scan plan per column.
func (s *PatrolStore) FindFixes(ctx context.Context, workerID int64, from, to time.Time) ([]patrol.Fix, error) {
	rows, err := s.db.Pool.Query(ctx, `
SELECT t, lon, lat, accuracy_m, speed_mps, received_at FROM patrol_points
WHERE worker_id = $1 AND t >= $2 AND t < $3 ORDER BY t`, workerID, from, to)
	if err != nil {
		return nil, translate(err, "patrol points")
	}
	defer rows.Close()
	raw := binaryColumns(rows.FieldDescriptions(), pgtype.TimestamptzOID, pgtype.Float8OID, pgtype.Float8OID,
		pgtype.Float4OID, pgtype.Float4OID, pgtype.TimestamptzOID)
	// Room for a day's fixes at a fix every 30 s of a long patrol, per day.
	days := max(1, min(62, int(to.Sub(from).Hours()/24)+1))
	out := make([]patrol.Fix, 0, days*512)
	for rows.Next() {
		var f patrol.Fix
		if raw {
			if f, err = fixRow(rows.RawValues()); err != nil {
				return nil, err
			}
		} else {
			var acc, spd float32
			if err := rows.Scan(&f.T, &f.Lon, &f.Lat, &acc, &spd, &f.ReceivedAt); err != nil {
				return nil, err
			}
			f.AccuracyM, f.SpeedMps = float64(acc), float64(spd)
		}
		out = append(out, f)
	}
	return out, translate(rows.Err(), "patrol points")
}

// binaryColumns reports whether the result's columns are of these types,
// in the binary format.
func binaryColumns(fds []pgconn.FieldDescription, oids ...uint32) bool {
	if len(fds) != len(oids) {
		return false
	}
	for i, fd := range fds {
		if fd.Format != pgx.BinaryFormatCode || fd.DataTypeOID != oids[i] {
			return false
		}
	}
	return true
}

// fixRow decodes a row of FindFixes' columns in the binary format:
// timestamptz is microseconds since 2000-01-01 UTC, float8 and float4 are
// IEEE 754, all big-endian.
func fixRow(v [][]byte) (patrol.Fix, error) {
	var f patrol.Fix
	if len(v) != 6 || len(v[0]) != 8 || len(v[1]) != 8 || len(v[2]) != 8 || len(v[3]) != 4 || len(v[4]) != 4 || len(v[5]) != 8 {
		return f, errors.New("patrol points: unexpected row layout")
	}
	var err error
	if f.T, err = timestamptz(v[0]); err != nil {
		return f, err
	}
	if f.ReceivedAt, err = timestamptz(v[5]); err != nil {
		return f, err
	}
	f.Lon = math.Float64frombits(binary.BigEndian.Uint64(v[1]))
	f.Lat = math.Float64frombits(binary.BigEndian.Uint64(v[2]))
	f.AccuracyM = float64(math.Float32frombits(binary.BigEndian.Uint32(v[3])))
	f.SpeedMps = float64(math.Float32frombits(binary.BigEndian.Uint32(v[4])))
	return f, nil
}

// timestamptz decodes a binary timestamptz as pgx does (a time in
// time.Local); infinity has no time.Time.
func timestamptz(b []byte) (time.Time, error) {
	us := int64(binary.BigEndian.Uint64(b))
	if us == math.MaxInt64 || us == math.MinInt64 {
		return time.Time{}, errors.New("patrol points: infinite time")
	}
	const y2k = 946684800 // 2000-01-01 in Unix seconds
	return time.Unix(y2k+us/1000000, us%1000000*1000), nil
}

func (s *PatrolStore) day(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, s.Loc)
}

// DirtyDays returns the dirty days with from ≤ day < to.
func (s *PatrolStore) DirtyDays(ctx context.Context, workerIDs []int64, from, to time.Time) ([]patrol.DirtyDay, error) {
	a := &sqlArgs{}
	w := []string{"day >= " + a.add(s.civilDay(from)) + "::date", "day < " + a.add(s.civilDay(to)) + "::date"}
	if workerIDs != nil {
		w = append(w, "worker_id = ANY("+a.add(workerIDs)+"::bigint[])")
	}
	rows, err := s.db.Pool.Query(ctx, `
SELECT worker_id, day, seq FROM patrol_dirty_days
WHERE `+and(w)+`
  AND NOT EXISTS (SELECT 1 FROM patrol_archives a WHERE a.month = date_trunc('month', day)::date)
ORDER BY worker_id, day`, a.vals...)
	if err != nil {
		return nil, translate(err, "patrol days")
	}
	defer rows.Close()
	var out []patrol.DirtyDay
	for rows.Next() {
		var d patrol.DirtyDay
		if err := rows.Scan(&d.WorkerID, &d.Date, &d.Seq); err != nil {
			return nil, err
		}
		d.Date = s.day(d.Date)
		out = append(out, d)
	}
	return out, translate(rows.Err(), "patrol days")
}

// SaveDays stores computed days, their grids and visits, and clears the
// dirty marks up to the seq seen.
//
// It writes set by set, whatever the number of days: one upsert of the
// days, then one statement for each of their grids, visits and dirty
// marks. A day's old grids and visits are deleted only when the day was
// stored before (the upsert says which): a day computed for the first
// time has none, since days are never deleted and their grids and visits
// are written only here, with them. That keeps the first computation of a
// month's days (a month-end settle) from scanning the day tables per day
// while they are still growing and unanalysed (BENCHMARKS.md, "The city
// month: days written set by set, patrol intake by a plain INSERT").
func (s *PatrolStore) SaveDays(ctx context.Context, days []*patrol.Day, seen []patrol.DirtyDay) error {
	days = lastPerDay(days)
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		again, err := upsertDays(ctx, tx, days, s.civilDay)
		if err != nil {
			return err
		}
		b := &pgx.Batch{}
		if len(again.workers) > 0 {
			b.Queue(`DELETE FROM patrol_day_grids g USING unnest($1::bigint[], $2::date[]) AS u(w, d)
WHERE g.worker_id = u.w AND g.day = u.d`, again.workers, again.days)
			b.Queue(`DELETE FROM checkpoint_visits v USING unnest($1::bigint[], $2::date[]) AS u(w, d)
WHERE v.worker_id = u.w AND v.day = u.d`, again.workers, again.days)
		}
		queueDayGrids(b, days, s.civilDay)
		queueVisits(b, days, s.civilDay)
		if len(seen) > 0 {
			ws, ds, seqs := make([]int64, len(seen)), make([]string, len(seen)), make([]int64, len(seen))
			for i, dd := range seen {
				ws[i], ds[i], seqs[i] = dd.WorkerID, s.civilDay(dd.Date), dd.Seq
			}
			b.Queue(`DELETE FROM patrol_dirty_days k USING unnest($1::bigint[], $2::date[], $3::bigint[]) AS u(w, d, seq)
WHERE k.worker_id = u.w AND k.day = u.d AND k.seq <= u.seq`, ws, ds, seqs)
		}
		if err := insertEvents(ctx, tx, patrolDayEvents(days, s.civilDay)); err != nil {
			return err
		}
		if b.Len() == 0 {
			return nil
		}
		return tx.SendBatch(ctx, b).Close()
	})
	return translate(err, "patrol days")
}

// lastPerDay keeps the last of the days computed for the same worker and
// day (one statement cannot upsert a row twice).
func lastPerDay(days []*patrol.Day) []*patrol.Day {
	type key struct {
		worker int64
		day    time.Time
	}
	at := make(map[key]int, len(days))
	out := days[:0:0]
	for _, d := range days {
		k := key{d.WorkerID, d.Date}
		if i, ok := at[k]; ok {
			out[i] = d
			continue
		}
		at[k] = len(out)
		out = append(out, d)
	}
	return out
}

// storedDays are days as (worker, civil day) pairs.
type storedDays struct {
	workers []int64
	days    []string
}

// upsertDays inserts or replaces days and returns those that were stored
// before. An upserted row's xmax is zero when it was inserted and the
// updating transaction's id when an existing row was updated.
func upsertDays(ctx context.Context, tx pgx.Tx, days []*patrol.Day, civilDay func(time.Time) string) (storedDays, error) {
	var again storedDays
	if len(days) == 0 {
		return again, nil
	}
	n := len(days)
	var (
		ws           = make([]int64, n)
		ds, flagged  = make([]string, n), make([]string, n)
		fixes, valid = make([]int32, n), make([]int32, n)
		ps, dm, tdm  = make([]float64, n), make([]float64, n), make([]float64, n)
		patrolled    = make([]bool, n)
		computed     = make([]time.Time, n)
		rules        = make([]string, n)
	)
	for i, d := range days {
		f, _ := json.Marshal(d.Flagged)
		ws[i], ds[i], flagged[i] = d.WorkerID, civilDay(d.Date), string(f)
		fixes[i], valid[i] = int32(d.Fixes), int32(d.Valid)
		ps[i], dm[i], tdm[i] = d.PatrolSeconds, d.DistanceM, d.TrackDistanceM
		patrolled[i], computed[i], rules[i] = d.Patrolled, d.ComputedAt, d.Rules
	}
	rows, err := tx.Query(ctx, `
INSERT INTO patrol_days (worker_id, day, fixes, valid, flagged, patrol_s, distance_m, track_distance_m, patrolled, computed_at, rules)
SELECT u.w, u.d::date, u.fixes, u.valid, u.flagged::jsonb, u.ps, u.dm, u.tdm, u.patrolled, u.computed, u.rules
FROM unnest($1::bigint[], $2::text[], $3::int[], $4::int[], $5::text[], $6::float8[], $7::float8[], $8::float8[], $9::bool[], $10::timestamptz[], $11::text[])
     AS u(w, d, fixes, valid, flagged, ps, dm, tdm, patrolled, computed, rules)
ON CONFLICT (worker_id, day) DO UPDATE SET fixes = EXCLUDED.fixes, valid = EXCLUDED.valid, flagged = EXCLUDED.flagged,
  patrol_s = EXCLUDED.patrol_s, distance_m = EXCLUDED.distance_m, track_distance_m = EXCLUDED.track_distance_m,
  patrolled = EXCLUDED.patrolled, computed_at = EXCLUDED.computed_at, rules = EXCLUDED.rules
RETURNING worker_id, day::text, xmax <> 0`, ws, ds, fixes, valid, flagged, ps, dm, tdm, patrolled, computed, rules)
	if err != nil {
		return again, err
	}
	defer rows.Close()
	for rows.Next() {
		var w int64
		var d string
		var updated bool
		if err := rows.Scan(&w, &d, &updated); err != nil {
			return again, err
		}
		if updated {
			again.workers, again.days = append(again.workers, w), append(again.days, d)
		}
	}
	return again, rows.Err()
}

// queueDayGrids queues one INSERT of every day's grids. A row left from a
// day deleted by hand (gridd never deletes days) is replaced.
func queueDayGrids(b *pgx.Batch, days []*patrol.Day, civilDay func(time.Time) string) {
	var (
		ws                  []int64
		ds, codes, measures []string
		versions, cells     []int32
		ps, dm, cov         []float64
		full                []bool
		covers              [][]byte
	)
	for _, d := range days {
		day := civilDay(d.Date)
		for _, g := range d.Grids {
			ws, ds, codes, versions = append(ws, d.WorkerID), append(ds, day), append(codes, g.GridCode), append(versions, int32(g.GridVersion))
			ps, dm, cov, full = append(ps, g.PatrolSeconds), append(dm, g.DistanceM), append(cov, g.Coverage), append(full, g.Full)
			cells, covers, measures = append(cells, int32(g.Cells)), append(covers, g.Cover), append(measures, measureOf(g.Measure))
		}
	}
	if len(ws) == 0 {
		return
	}
	b.Queue(`
INSERT INTO patrol_day_grids (worker_id, day, grid_code, grid_version, patrol_s, distance_m, coverage, full_patrol, cells, cover, measure)
SELECT u.w, u.d::date, u.code, u.version, u.ps, u.dm, u.cov, u.full_patrol, u.cells, u.cover, u.measure
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::float8[], $6::float8[], $7::float8[], $8::bool[], $9::int[], $10::bytea[], $11::text[])
     AS u(w, d, code, version, ps, dm, cov, full_patrol, cells, cover, measure)
ON CONFLICT (worker_id, day, grid_code) DO UPDATE SET grid_version = EXCLUDED.grid_version, patrol_s = EXCLUDED.patrol_s,
  distance_m = EXCLUDED.distance_m, coverage = EXCLUDED.coverage, full_patrol = EXCLUDED.full_patrol, cells = EXCLUDED.cells,
  cover = EXCLUDED.cover, measure = EXCLUDED.measure`,
		ws, ds, codes, versions, ps, dm, cov, full, cells, covers, measures)
}

// queueVisits queues one INSERT of every day's checkpoint visits, leaving
// out those of checkpoints deleted meanwhile.
func queueVisits(b *pgx.Batch, days []*patrol.Day, civilDay func(time.Time) string) {
	var (
		cps, ws []int64
		ds      []string
		first   []time.Time
		fixes   []int32
	)
	for _, d := range days {
		day := civilDay(d.Date)
		for _, v := range d.Visits {
			cps, ws, ds = append(cps, v.CheckpointID), append(ws, v.WorkerID), append(ds, day)
			first, fixes = append(first, v.FirstAt), append(fixes, int32(v.Fixes))
		}
	}
	if len(cps) == 0 {
		return
	}
	b.Queue(`
INSERT INTO checkpoint_visits (checkpoint_id, worker_id, day, first_at, fixes)
SELECT u.cp, u.w, u.d::date, u.first, u.fixes
FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::timestamptz[], $5::int[]) AS u(cp, w, d, first, fixes)
WHERE EXISTS (SELECT 1 FROM checkpoints c WHERE c.id = u.cp)`, cps, ws, ds, first, fixes)
}

// MarkStale marks dirty the stored days computed with rules other than
// rules, and those whose grid version is no longer the one valid at the
// end of the day (loc's civil day). It returns how many it marked.
func (s *PatrolStore) MarkStale(ctx context.Context, rules string) (int64, error) {
	tag, err := s.db.exec(ctx, `
INSERT INTO patrol_dirty_days (worker_id, day, seq)
SELECT worker_id, day, nextval('patrol_dirty_seq') FROM (
	SELECT worker_id, day FROM patrol_days WHERE rules <> $1
	UNION
	SELECT g.worker_id, g.day FROM patrol_day_grids g
	WHERE NOT EXISTS (
		SELECT 1 FROM grid_versions v
		WHERE v.code = g.grid_code AND v.version = g.grid_version
		  AND v.valid_from <= ((g.day + 1)::timestamp AT TIME ZONE $2) - interval '1 second'
		  AND (v.valid_to IS NULL OR v.valid_to > ((g.day + 1)::timestamp AT TIME ZONE $2) - interval '1 second'))
) s
ON CONFLICT (worker_id, day) DO UPDATE SET seq = EXCLUDED.seq`, rules, s.Loc.String())
	if err != nil {
		return 0, translate(err, "stale patrol days")
	}
	return tag.RowsAffected(), nil
}

// FindDays returns the stored days with from ≤ day < to, with their grids.
func (s *PatrolStore) FindDays(ctx context.Context, workerIDs []int64, from, to time.Time) ([]*patrol.Day, error) {
	rows, err := s.db.Pool.Query(ctx, `
SELECT worker_id, day, fixes, valid, flagged, patrol_s, distance_m, track_distance_m, patrolled, computed_at, rules
FROM patrol_days WHERE worker_id = ANY($1) AND day >= $2::date AND day < $3::date ORDER BY worker_id, day`,
		workerIDs, s.civilDay(from), s.civilDay(to))
	if err != nil {
		return nil, translate(err, "patrol days")
	}
	type k struct {
		w int64
		d string
	}
	idx := map[k]*patrol.Day{}
	var out []*patrol.Day
	for rows.Next() {
		d := &patrol.Day{}
		var flagged []byte
		if err := rows.Scan(&d.WorkerID, &d.Date, &d.Fixes, &d.Valid, &flagged, &d.PatrolSeconds, &d.DistanceM,
			&d.TrackDistanceM, &d.Patrolled, &d.ComputedAt, &d.Rules); err != nil {
			rows.Close()
			return nil, err
		}
		_ = json.Unmarshal(flagged, &d.Flagged)
		d.Date = s.day(d.Date)
		out = append(out, d)
		idx[k{d.WorkerID, d.Date.Format("2006-01-02")}] = d
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err, "patrol days")
	}
	grids, err := s.FindGridDays(ctx, workerIDs, from, to, true)
	if err != nil {
		return nil, err
	}
	for _, g := range grids {
		if d := idx[k{g.WorkerID, g.Date.Format("2006-01-02")}]; d != nil {
			d.Grids = append(d.Grids, g.GridDay)
		}
	}
	return out, nil
}

// FindGridDays returns the stored days of the workers with from ≤ date <
// to grid by grid (patrol_day_grids), their covers only when withCover.
func (s *PatrolStore) FindGridDays(ctx context.Context, workerIDs []int64, from, to time.Time, withCover bool) ([]patrol.WorkerGridDay, error) {
	cover := `NULL::bytea`
	if withCover {
		cover = `cover`
	}
	rows, err := s.db.Pool.Query(ctx, `
SELECT worker_id, day, grid_code, grid_version, patrol_s, distance_m, coverage, full_patrol, cells, `+cover+`, measure
FROM patrol_day_grids WHERE worker_id = ANY($1) AND day >= $2::date AND day < $3::date ORDER BY worker_id, day, grid_code`,
		workerIDs, s.civilDay(from), s.civilDay(to))
	if err != nil {
		return nil, translate(err, "patrol days")
	}
	defer rows.Close()
	var out []patrol.WorkerGridDay
	for rows.Next() {
		var d patrol.WorkerGridDay
		g := &d.GridDay
		if err := rows.Scan(&d.WorkerID, &d.Date, &g.GridCode, &g.GridVersion, &g.PatrolSeconds, &g.DistanceM, &g.Coverage, &g.Full, &g.Cells, &g.Cover, &g.Measure); err != nil {
			return nil, err
		}
		d.Date = s.day(d.Date)
		out = append(out, d)
	}
	return out, translate(rows.Err(), "patrol days")
}

// SaveMonths upserts monthly rows.
func (s *PatrolStore) SaveMonths(ctx context.Context, rows []*patrol.MonthRow) error {
	if len(rows) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, m := range rows {
		b.Queue(`
INSERT INTO patrol_months (worker_id, month, grid_code, days, days_patrolled, days_under, full_days, patrol_s, distance_m,
  coverage, coverage_met, cells, cover, computed_at)
VALUES ($1, $2::date, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
ON CONFLICT (worker_id, month, grid_code) DO UPDATE SET days = EXCLUDED.days, days_patrolled = EXCLUDED.days_patrolled,
  days_under = EXCLUDED.days_under, full_days = EXCLUDED.full_days, patrol_s = EXCLUDED.patrol_s,
  distance_m = EXCLUDED.distance_m, coverage = EXCLUDED.coverage, coverage_met = EXCLUDED.coverage_met,
  cells = EXCLUDED.cells, cover = EXCLUDED.cover, computed_at = EXCLUDED.computed_at`,
			m.WorkerID, s.civilDay(m.Month), m.GridCode, m.Days, m.DaysPatrolled, m.DaysUnder, m.FullDays, m.PatrolSeconds,
			m.DistanceM, m.Coverage, m.CoverageMet, m.Cells, m.Cover, m.ComputedAt)
	}
	err := s.db.tx(ctx, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() })
	return translate(err, "patrol months")
}

// FindVisits returns the checkpoint visits with from ≤ day < to.
func (s *PatrolStore) FindVisits(ctx context.Context, from, to time.Time) ([]patrol.Visit, error) {
	rows, err := s.db.Pool.Query(ctx, `
SELECT checkpoint_id, worker_id, day, first_at, fixes FROM checkpoint_visits
WHERE day >= $1::date AND day < $2::date ORDER BY day, checkpoint_id, worker_id`, s.civilDay(from), s.civilDay(to))
	if err != nil {
		return nil, translate(err, "checkpoint visits")
	}
	defer rows.Close()
	var out []patrol.Visit
	for rows.Next() {
		var v patrol.Visit
		if err := rows.Scan(&v.CheckpointID, &v.WorkerID, &v.Date, &v.FirstAt, &v.Fixes); err != nil {
			return nil, err
		}
		v.Date = s.day(v.Date)
		out = append(out, v)
	}
	return out, translate(rows.Err(), "checkpoint visits")
}

// LoadDemoPatrols bulk-loads the demo town's tracks (demo.PatrolLoader).
func (s *LayerStore) LoadDemoPatrols(ctx context.Context, fixes map[int64][]patrol.Fix) error {
	return NewPatrolStore(s.db, workday.Shanghai()).CopyFixes(ctx, fixes)
}

func measureOf(m string) string {
	if m == "" {
		return patrol.MeasureArea
	}
	return m
}

// GridOptions returns the stored grid options.
func (s *PatrolStore) GridOptions(ctx context.Context) (map[string]patrol.GridOption, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT grid_code, measure, road_kinds, coalesce(updated_by, 0), updated_at FROM patrol_grid_options`)
	if err != nil {
		return nil, translate(err, "grid options")
	}
	out := map[string]patrol.GridOption{}
	var o patrol.GridOption
	_, err = pgx.ForEachRow(rows, []any{&o.GridCode, &o.Measure, &o.RoadKinds, &o.UpdatedBy, &o.UpdatedAt}, func() error {
		out[o.GridCode] = o
		o = patrol.GridOption{}
		return nil
	})
	return out, translate(err, "grid options")
}

// SetGridOption stores o and marks the grid's stored days dirty, in one
// transaction.
func (s *PatrolStore) SetGridOption(ctx context.Context, o patrol.GridOption) error {
	kinds := o.RoadKinds
	if kinds == nil {
		kinds = []string{}
	}
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
INSERT INTO patrol_grid_options (grid_code, measure, road_kinds, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (grid_code) DO UPDATE SET measure = EXCLUDED.measure, road_kinds = EXCLUDED.road_kinds,
  updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at`,
			o.GridCode, o.Measure, kinds, nullIfZero(o.UpdatedBy), o.UpdatedAt); err != nil {
			return translate(err, "grid option "+o.GridCode)
		}
		_, err := tx.Exec(ctx, `
INSERT INTO patrol_dirty_days (worker_id, day, seq)
SELECT worker_id, day, nextval('patrol_dirty_seq') FROM (SELECT DISTINCT worker_id, day FROM patrol_day_grids WHERE grid_code = $1) d
ON CONFLICT (worker_id, day) DO UPDATE SET seq = EXCLUDED.seq`, o.GridCode)
		return translate(err, "grid option "+o.GridCode)
	})
}

// RoadsIn returns the roads layer's lines meeting b, of the given kinds
// (every kind when empty).
func (s *PatrolStore) RoadsIn(ctx context.Context, b orb.Bound, kinds []string) ([]orb.LineString, error) {
	rows, err := s.db.Pool.Query(ctx, `
SELECT ST_AsEWKB(geom) FROM roads
WHERE geom && ST_MakeEnvelope($1, $2, $3, $4, 4326) AND (cardinality($5::text[]) = 0 OR kind = ANY($5))
ORDER BY code`, b.Min[0], b.Min[1], b.Max[0], b.Max[1], kinds)
	if err != nil {
		return nil, translate(err, "roads")
	}
	var out []orb.LineString
	var raw []byte
	_, err = pgx.ForEachRow(rows, []any{&raw}, func() error {
		g, err := decodeGeom(raw)
		if err != nil {
			return err
		}
		switch l := g.(type) {
		case orb.LineString:
			out = append(out, l)
		case orb.MultiLineString:
			out = append(out, l...)
		}
		return nil
	})
	return out, translate(err, "roads")
}
