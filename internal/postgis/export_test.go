package postgis

import (
	"context"
	"errors"

	"github.com/gridd/gridd/internal/auditlog"
	"github.com/gridd/gridd/internal/events"
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
// is waited for before the transaction commits (after its entry is in).
func ChangeWithAuditForTest(ctx context.Context, db *DB, e *auditlog.Entry, hold <-chan struct{}) error {
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
			<-hold
		}
		return nil
	})
}
