package postgis

import (
	"context"
	"errors"
	"time"

	"github.com/gridd/gridd/internal/auditlog"
	"github.com/gridd/gridd/internal/events"
	"github.com/gridd/gridd/internal/tiles"
	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/encoding/wkb"
)

var errRollback = errors.New("rollback")

// InsertEventForTest writes e in a transaction that commits or rolls back.
func InsertEventForTest(ctx context.Context, db *DB, e events.Event, commit bool) error {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if err := insertEvent(ctx, tx, e); err != nil {
			return err
		}
		if !commit {
			return errRollback
		}
		return nil
	})
	if errors.Is(err, errRollback) {
		return nil
	}
	return err
}

// DuplicatesSQLForTest is the duplicate search of case intake by itself
// (duplicateCandidates; $1 category, $2 and $3 the point, $4 since, $5
// radius), the ids only.
var DuplicatesSQLForTest = `SELECT d.id FROM (` + duplicateCandidates("$1", "$2", "$3", "$4", "$5") + `) d ORDER BY d.distance, d.id`

// GridSnapshotOneQuerySQLForTest is the grids snapshot query of before:
// one query that aggregates the day's workers per grid, joins the counts
// and sorts every row with its geometry.
const GridSnapshotOneQuerySQLForTest = `
WITH w AS (
	SELECT a.grid_code, string_agg(u.name, ',' ORDER BY u.username) AS names, string_agg(u.username, ',' ORDER BY u.username) AS usernames
	FROM grid_assignments a JOIN users u ON u.id = a.user_id
	WHERE a.grid_role = 'worker' AND a.valid_from <= @day::date AND (a.valid_to IS NULL OR a.valid_to > @day::date)
	GROUP BY a.grid_code
)
SELECT g.code, g.name, g.level, coalesce(g.parent_code, ''), coalesce(w.names, ''), coalesce(w.usernames, ''),
       g.households, g.population, coalesce(rc.households, 0), coalesce(rc.people, 0), coalesce(rc.businesses, 0),
       coalesce(rc.places, 0), ST_AsBinary(g.geom)
FROM grid_versions g
LEFT JOIN w ON w.grid_code = g.code
LEFT JOIN grid_register_counts rc ON rc.grid_code = g.code
WHERE g.valid_to IS NULL
ORDER BY g.level, g.code`

// GridScansForTest runs the grids snapshot's three scans in one round
// trip and drains them (no joining, no decoding).
func GridScansForTest(ctx context.Context, db *DB, day time.Time) error {
	b := &pgx.Batch{}
	for _, q := range []string{gridGeomsSQL, gridWorkersSQL, gridCountsSQL} {
		args := []any{}
		if q == gridWorkersSQL {
			args = append(args, day)
		}
		b.Queue(q, args...).Query(func(rows pgx.Rows) error {
			for rows.Next() {
			}
			return rows.Err()
		})
	}
	return db.Pool.SendBatch(ctx, b).Close()
}

// ChangeWithAuditForTest runs a change (a row in a scratch table) with a
// write request's pending audit entry through db.tx; hold, when not nil,
// is waited for before the transaction commits, and inserted is closed
// once the entry is in (it has its id) and the hold begins.
func ChangeWithAuditForTest(ctx context.Context, db *DB, e *auditlog.Entry, inserted chan<- struct{}, hold <-chan struct{}) error {
	p := auditlog.NewPending(e, nil)
	ctx = auditlog.WithPending(ctx, p)
	return db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO audit_seal_test (note) VALUES ($1)`, e.Actor); err != nil {
			return err
		}
		if hold != nil {
			// db.tx appends the entry after fn: append it here instead so
			// that it is inserted before the hold.
			if e := p.Take(); e != nil {
				ok, err := db.appendAudit(ctx, tx, db.AuditKey, true, []*auditlog.Entry{e})
				p.Done(ok && err == nil)
				if err != nil {
					return err
				}
			}
			close(inserted)
			<-hold
		}
		return nil
	})
}

// GridSnapshotOneQueryForTest is the grids snapshot load of before (the
// one query, WKB decoded by orb, without the ancestors), for the
// benchmark's sibling.
func GridSnapshotOneQueryForTest(ctx context.Context, db *DB, day time.Time) (int, error) {
	rows, err := db.Pool.Query(ctx, GridSnapshotOneQuerySQLForTest, pgx.NamedArgs{"day": day})
	if err != nil {
		return 0, err
	}
	var out []tiles.SnapshotFeature
	var r gridRow
	var worker, username string
	var rh, rp, rb, rpl int64
	var raw []byte
	dest := []any{&r.code, &r.name, &r.level, &r.parentCode, &worker, &username, &r.households, &r.population,
		&rh, &rp, &rb, &rpl, &raw}
	_, err = pgx.ForEachRow(rows, dest, func() error {
		g, err := wkb.Unmarshal(raw)
		if err != nil {
			return err
		}
		a := tiles.Attrs{tiles.StringAttr("code", r.code), tiles.StringAttr("name", r.name), tiles.IntAttr("level", int64(r.level)),
			tiles.StringAttr("parent_code", r.parentCode), tiles.StringAttr("worker", worker), tiles.StringAttr("worker_username", username),
			tiles.IntAttr("registered_households", rh), tiles.IntAttr("registered_people", rp), tiles.IntAttr("businesses", rb), tiles.IntAttr("places", rpl)}
		a = append(a, tiles.IntAttr("households", r.households), tiles.IntAttr("population", r.population))
		out = append(out, tiles.SnapshotFeature{Geometry: g, Attrs: a, Codes: []string{r.code}})
		return nil
	})
	return len(out), err
}

// QueuedForTest is the number of patrol uploads waiting for a group.
func QueuedForTest(s *PatrolStore) int {
	return s.group.waiting()
}
