package postgis

import (
	"context"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5"
)

// idBlock hands out the IDs of a table's serial id column drawn from its
// sequence in blocks, so that a row's ID is known before it is written
// without a round trip of its own: an audit entry's (part of its MAC), a
// case's (named by its request's audit entry, written with it). IDs
// identify rows; they do not order them (an instance's block is used while
// another's is, and a block drawn but not used leaves a gap).
type idBlock struct {
	table string // whose id column's sequence
	what  string // the IDs in a problem text
	mu    sync.Mutex
	free  []int64
}

const idBlockSize = 64

// take returns n IDs, drawing a block on tx when too few are left: for
// audit entries the writer's own transaction (never a second connection
// from the pool, which writers holding theirs could exhaust). With
// ifChanged it draws only when tx has changed something, and returns none
// otherwise: nextval may assign tx an ID, which would make a transaction
// that changed nothing look changed.
func (a *idBlock) take(ctx context.Context, tx querier, n int, ifChanged bool) ([]int64, error) {
	for {
		a.mu.Lock()
		if len(a.free) >= n {
			ids := slices.Clone(a.free[:n])
			a.free = a.free[n:]
			a.mu.Unlock()
			return ids, nil
		}
		a.mu.Unlock()
		// Drawn without the lock: a writer never waits on another's round
		// trip to get its IDs.
		rows, err := tx.Query(ctx, `SELECT nextval(pg_get_serial_sequence($3, 'id')) FROM generate_series(1, $1)
WHERE NOT $2 OR txid_current_if_assigned() IS NOT NULL`, max(n, idBlockSize), ifChanged, a.table)
		if err != nil {
			return nil, translate(err, a.what)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return nil, translate(err, a.what)
		}
		if len(ids) == 0 {
			return nil, nil // ifChanged and nothing changed
		}
		a.mu.Lock()
		a.free = append(a.free, ids...)
		a.mu.Unlock()
	}
}
