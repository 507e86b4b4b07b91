package postgis

import (
	"context"
	"errors"

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
