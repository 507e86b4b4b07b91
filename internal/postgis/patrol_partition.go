package postgis

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Partitions of patrol_points (migrations 00004, 00035): one per
// Asia/Shanghai month, named patrol_points_yYYYYmMM from integers (never
// from input), bounds [first instant of the month, first of the next).
// A fix whose month has no partition lands in patrol_points_default; the
// month's partition, when created, takes those rows with it.

// partitionLock serialises partition creation and archiving.
const partitionLock = `SELECT pg_advisory_xact_lock(hashtext('patrol_points partitions'))`

var partitionName = regexp.MustCompile(`^patrol_points_y([0-9]{4})m([0-9]{2})$`)

func monthPartition(m time.Time) string {
	return fmt.Sprintf("patrol_points_y%04dm%02d", m.Year(), int(m.Month()))
}

// monthOf returns the first instant of t's month in the store's zone.
func (s *PatrolStore) monthOf(t time.Time) time.Time {
	l := t.In(s.Loc)
	return time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, s.Loc)
}

// errArchived is the refusal of fixes for an archived month.
func errArchived(m time.Time) error {
	return errs.E(errs.Unprocessable, "patrol_month_archived",
		"the fixes of %s are archived; fixes for that month are no longer accepted", m.Format("2006-01")).
		WithFields(errs.Field{Field: "points", Reason: "patrol_month_archived",
			Detail: "send only fixes of months not archived (gridd patrols archive)"})
}

// translateFixes is translate for writes of fixes: the default partition's
// trigger refuses a fix of an archived month.
func translateFixes(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.ConstraintName == "patrol_month_archived" {
		return errs.E(errs.Unprocessable, "patrol_month_archived", "%s", pe.Message).
			WithFields(errs.Field{Field: "points", Reason: "patrol_month_archived",
				Detail: "send only fixes of months not archived (gridd patrols archive)"})
	}
	return translate(err, "patrol points")
}

// ensurePartitions creates the monthly partitions the times need, and
// refuses times in archived months.
func (s *PatrolStore) ensurePartitions(ctx context.Context, ts []time.Time) error {
	months := map[time.Time]bool{}
	for _, t := range ts {
		months[s.monthOf(t)] = true
	}
	for m := range months {
		s.mu.Lock()
		ok := s.partitions[monthPartition(m)]
		s.mu.Unlock()
		if ok {
			continue
		}
		if err := s.ensureMonth(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// ensureMonth creates month m's partition unless it exists, moving the
// month's rows out of the default partition in the same transaction
// (PostgreSQL refuses a new partition while the default holds its rows).
func (s *PatrolStore) ensureMonth(ctx context.Context, m time.Time) error {
	name := monthPartition(m)
	var exists, archived bool
	if err := s.db.Pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL, EXISTS (SELECT 1 FROM patrol_archives WHERE month = $2::date)`,
		name, m.Format("2006-01-02")).Scan(&exists, &archived); err != nil {
		return translate(err, "patrol partition")
	}
	if archived {
		return errArchived(m)
	}
	if !exists {
		from, to := m.UTC().Format(time.RFC3339), m.AddDate(0, 1, 0).UTC().Format(time.RFC3339)
		// Not db.tx: a partition is not the request's change (its audit
		// entry goes with the fixes).
		err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, partitionLock); err != nil {
				return err
			}
			// Read pg_class, not to_regclass: this backend may hold a
			// cached "no such relation" from the check above, and the
			// advisory lock's wait does not refresh its caches.
			var again bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_class WHERE relname = $1 AND relnamespace = current_schema()::regnamespace)`, name).Scan(&again); err != nil || again {
				return err
			}
			// The bounds are formatted from a time, the name from
			// integers: nothing here comes from input.
			for _, q := range []string{
				`CREATE TABLE ` + name + ` (LIKE patrol_points INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
				`ALTER TABLE ` + name + ` ADD CONSTRAINT ` + name + `_range CHECK (t >= '` + from + `' AND t < '` + to + `')`,
				`WITH moved AS (DELETE FROM patrol_points_default WHERE t >= '` + from + `' AND t < '` + to + `' RETURNING *)
INSERT INTO ` + name + ` SELECT * FROM moved`,
				`ALTER TABLE patrol_points ATTACH PARTITION ` + name + ` FOR VALUES FROM ('` + from + `') TO ('` + to + `')`,
				// The range check let ATTACH skip its scan; the bound
				// says the same from now on.
				`ALTER TABLE ` + name + ` DROP CONSTRAINT ` + name + `_range`,
			} {
				if _, err := tx.Exec(ctx, q); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return translate(err, "patrol partition")
		}
	}
	s.mu.Lock()
	s.partitions[name] = true
	s.mu.Unlock()
	return nil
}

// EnsureMonthsAhead creates the partitions of now's month and of the
// ahead months after it (the scheduled job), returning the months it
// created or found, in order.
func (s *PatrolStore) EnsureMonthsAhead(ctx context.Context, now time.Time, ahead int) ([]time.Time, error) {
	m := s.monthOf(now)
	var out []time.Time
	for i := 0; i <= ahead; i++ {
		mi := m.AddDate(0, i, 0)
		if err := s.ensureMonth(ctx, mi); err != nil {
			return out, err
		}
		out = append(out, mi)
	}
	return out, nil
}

// PatrolPartition is one monthly partition of patrol_points.
type PatrolPartition struct {
	Month time.Time
	Table string
}

// PatrolPartitions returns the attached monthly partitions, oldest first.
func (s *PatrolStore) PatrolPartitions(ctx context.Context) ([]PatrolPartition, error) {
	return s.partitionsOf(ctx, s.db.Pool)
}

func (s *PatrolStore) partitionsOf(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) ([]PatrolPartition, error) {
	rows, err := q.Query(ctx, `
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'patrol_points'::regclass`)
	if err != nil {
		return nil, translate(err, "patrol partitions")
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, translate(err, "patrol partitions")
	}
	var out []PatrolPartition
	for _, n := range names {
		sm := partitionName.FindStringSubmatch(n)
		if sm == nil {
			continue
		}
		y, _ := strconv.Atoi(sm[1])
		mo, _ := strconv.Atoi(sm[2])
		out = append(out, PatrolPartition{Month: time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, s.Loc), Table: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Month.Before(out[j].Month) })
	return out, nil
}

// ArchiveOptions says what `gridd patrols archive` does with each month.
type ArchiveOptions struct {
	// Before: months starting before it are archived.
	Before time.Time
	// Dir, when set, receives each month's fixes as
	// patrol_points_yYYYYmMM.csv.gz (CSV with a header, written and
	// synced before the month is dropped or moved).
	Dir string
	// Drop drops the detached table (only with Dir: the file is then the
	// archive); otherwise it is kept in schema patrol_archive.
	Drop bool
	Now  time.Time
}

// ArchivedMonth is one archived month.
type ArchivedMonth struct {
	Month    time.Time
	Fixes    int64
	File     string
	Detached string // patrol_archive.<table>, or "" when dropped
}

// ArchivePatrols detaches the monthly partitions of months before
// o.Before, one transaction per month: the partition is detached, its
// fixes written to o.Dir when given, the table dropped or moved to schema
// patrol_archive, the month recorded in patrol_archives and its dirty
// marks cleared. The months' days and monthly figures stay as computed;
// they are no longer recomputed (DirtyDays and MarkStale skip them), and
// fixes for them are refused. DETACH takes an exclusive lock on
// patrol_points for the moment of the detach: intake waits, it does not
// fail.
func (s *PatrolStore) ArchivePatrols(ctx context.Context, o ArchiveOptions) ([]ArchivedMonth, error) {
	if o.Drop && o.Dir == "" {
		return nil, errs.E(errs.Invalid, "archive_drop_without_file", "dropping archived months needs a directory for their files").
			WithFields(errs.Field{Field: "dir", Reason: "required", Detail: "give --out to drop the detached tables"})
	}
	parts, err := s.PatrolPartitions(ctx)
	if err != nil {
		return nil, err
	}
	var out []ArchivedMonth
	for _, p := range parts {
		if !p.Month.Before(o.Before) {
			break
		}
		a, err := s.archiveMonth(ctx, p, o)
		if err != nil {
			return out, fmt.Errorf("archive %s: %w", p.Month.Format("2006-01"), err)
		}
		out = append(out, a)
	}
	return out, nil
}

func (s *PatrolStore) archiveMonth(ctx context.Context, p PatrolPartition, o ArchiveOptions) (ArchivedMonth, error) {
	a := ArchivedMonth{Month: p.Month}
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, partitionLock); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `ALTER TABLE patrol_points DETACH PARTITION `+p.Table); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+p.Table).Scan(&a.Fixes); err != nil {
			return err
		}
		if o.Dir != "" {
			a.File = filepath.Join(o.Dir, p.Table+".csv.gz")
			if err := copyToFile(ctx, tx.Conn().PgConn(), a.File,
				`COPY (SELECT worker_id, t, lon, lat, accuracy_m, speed_mps, received_at FROM `+p.Table+
					` ORDER BY worker_id, t) TO STDOUT WITH (FORMAT csv, HEADER)`); err != nil {
				return err
			}
		}
		if o.Drop {
			if _, err := tx.Exec(ctx, `DROP TABLE `+p.Table); err != nil {
				return err
			}
		} else {
			if _, err := tx.Exec(ctx, `ALTER TABLE `+p.Table+` SET SCHEMA patrol_archive`); err != nil {
				return err
			}
			a.Detached = "patrol_archive." + p.Table
		}
		day := p.Month.Format("2006-01-02")
		if _, err := tx.Exec(ctx, `DELETE FROM patrol_dirty_days WHERE day >= $1::date AND day < ($1::date + interval '1 month')`, day); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO patrol_archives (month, detached, file, fixes, archived_at) VALUES ($1::date, $2, $3, $4, $5)`,
			day, a.Detached, a.File, a.Fixes, o.Now)
		return err
	})
	if err != nil {
		return a, translate(err, "patrol archive")
	}
	s.mu.Lock()
	delete(s.partitions, p.Table)
	s.mu.Unlock()
	return a, nil
}

// copyToFile runs a COPY … TO STDOUT into a gzip file at path and syncs it.
func copyToFile(ctx context.Context, conn *pgconn.PgConn, path, sql string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	zw := gzip.NewWriter(bw)
	_, err = conn.CopyTo(ctx, zw, sql)
	for _, c := range []func() error{zw.Close, bw.Flush, f.Sync} {
		if err == nil {
			err = c()
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
	}
	return err
}

// ArchivedMonths returns the archived months, oldest first.
func (s *PatrolStore) ArchivedMonths(ctx context.Context) ([]ArchivedMonth, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT month, fixes, file, detached FROM patrol_archives ORDER BY month`)
	if err != nil {
		return nil, translate(err, "patrol archives")
	}
	var out []ArchivedMonth
	var a ArchivedMonth
	_, err = pgx.ForEachRow(rows, []any{&a.Month, &a.Fixes, &a.File, &a.Detached}, func() error {
		a.Month = time.Date(a.Month.Year(), a.Month.Month(), 1, 0, 0, 0, 0, s.Loc)
		out = append(out, a)
		return nil
	})
	return out, translate(err, "patrol archives")
}
