package postgis

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/auditlog"
	"github.com/gridd/gridd/internal/events"
	"github.com/gridd/gridd/internal/tiles"
	"github.com/jackc/pgx/v5"
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

// DuplicatesSQLForTest is the duplicate search of case intake.
const DuplicatesSQLForTest = duplicatesSQL

// GridSnapshotSQLForTest is the grids snapshot query.
var GridSnapshotSQLForTest = gridSnapshotSQL

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

// GridSnapshotEWKBForTest is the grids snapshot load of before (EWKB
// decoded through go-geom, then copied into orb), for the benchmark's
// sibling.
func GridSnapshotEWKBForTest(ctx context.Context, db *DB, day time.Time) (int, error) {
	q := strings.Replace(gridSnapshotSQL, "ST_AsBinary(g.geom)", "ST_AsEWKB(g.geom)", 1)
	rows, err := db.Pool.Query(ctx, q, pgx.NamedArgs{"day": day})
	if err != nil {
		return 0, err
	}
	var out []tiles.SnapshotFeature
	var r gridRow
	_, err = pgx.ForEachRow(rows, r.dest(true), func() error {
		g, err := decodeGeom(r.raw)
		if err != nil {
			return err
		}
		out = append(out, tiles.SnapshotFeature{Geometry: g, Props: r.props(), Codes: []string{r.code}})
		return nil
	})
	return len(out), err
}

// QueuedForTest is the number of patrol uploads waiting for a group.
func QueuedForTest(s *PatrolStore) int {
	s.group.mu.Lock()
	defer s.group.mu.Unlock()
	return len(s.group.queue)
}
