package postgis

import (
	"context"
	"slices"

	"github.com/gridd/gridd/internal/auditlog"
	"github.com/jackc/pgx/v5"
)

// AuditLogStore implements auditlog.Store on the append-only audit_log
// table. Key, when set, keys the chain's links (auditlog.LinkHash).
type AuditLogStore struct {
	db  *DB
	Key []byte
}

var _ auditlog.Store = (*AuditLogStore)(nil)

// NewAuditLogStore returns the audit log store on db.
func NewAuditLogStore(db *DB) *AuditLogStore { return &AuditLogStore{db: db} }

// auditChainLock is the advisory lock key that serialises appends so the
// chain stays linear: the previous hash is read and the next id drawn
// while holding it, until commit.
const auditChainLock = 0x67726964_61756474 // "griddaudt"

// Append stores es, in order, as the next links of the chain, in one
// transaction (the Log groups concurrent entries into one call).
func (s *AuditLogStore) Append(ctx context.Context, es ...*auditlog.Entry) error {
	if len(es) == 0 {
		return nil
	}
	// Not db.tx: these entries are the whole transaction, never a
	// request's pending entry.
	return pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		_, err := appendAudit(ctx, tx, s.Key, false, es)
		return err
	})
}

// appendAudit appends es inside tx as the next links of the chain: the
// one place that writes audit rows. It takes the chain's lock, held until
// tx ends, so the chain stays linear. With ifChanged it appends only when
// tx has changed something (it has a transaction id) and reports whether
// it did; the lock is then not taken either.
func appendAudit(ctx context.Context, tx pgx.Tx, key []byte, ifChanged bool, es []*auditlog.Entry) (bool, error) {
	// One round trip: take the chain's lock, then read its head and draw
	// the IDs (in this order: a batch runs its statements in turn).
	prev := auditlog.Genesis
	var ids []int64
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock($1) WHERE NOT $2 OR txid_current_if_assigned() IS NOT NULL`, int64(auditChainLock), ifChanged)
	b.Queue(`SELECT hash FROM audit_log WHERE NOT $1 OR txid_current_if_assigned() IS NOT NULL ORDER BY id DESC LIMIT 1`, ifChanged).QueryRow(func(row pgx.Row) error {
		if err := row.Scan(&prev); err != nil && err != pgx.ErrNoRows {
			return err
		}
		return nil
	})
	b.Queue(`SELECT nextval(pg_get_serial_sequence('audit_log', 'id')) FROM generate_series(1, $1)
WHERE NOT $2 OR txid_current_if_assigned() IS NOT NULL`, len(es), ifChanged).Query(func(rows pgx.Rows) error {
		var err error
		ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		return err
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return false, translate(err, "audit log")
	}
	if len(ids) == 0 {
		return false, nil // ifChanged and nothing changed
	}
	slices.Sort(ids)
	ins := &pgx.Batch{}
	for i, e := range es {
		e.ID = ids[i]
		e.PrevHash = prev
		e.Hash = auditlog.LinkHash(key, prev, e)
		prev = e.Hash
		var actorID *int64
		if e.ActorID != 0 {
			actorID = &e.ActorID
		}
		ins.Queue(`
INSERT INTO audit_log (id, at, actor_id, actor, role, action, method, route, path, status, request_id, object, grid_code, reason, prev_hash, hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
			e.ID, e.At, actorID, e.Actor, e.Role, e.Action, e.Method, e.Route, e.Path, e.Status, e.RequestID,
			e.Object, e.GridCode, e.Reason, e.PrevHash, e.Hash)
	}
	if err := tx.SendBatch(ctx, ins).Close(); err != nil {
		return false, translate(err, "audit entry")
	}
	return true, nil
}

const auditColumns = `id, at, coalesce(actor_id, 0), actor, role, action, method, route, path, status, request_id, object, grid_code, reason, prev_hash, hash`

func scanAudit(row pgx.Row) (*auditlog.Entry, error) {
	var e auditlog.Entry
	err := row.Scan(&e.ID, &e.At, &e.ActorID, &e.Actor, &e.Role, &e.Action, &e.Method, &e.Route, &e.Path, &e.Status,
		&e.RequestID, &e.Object, &e.GridCode, &e.Reason, &e.PrevHash, &e.Hash)
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// Scan calls fn for every entry in id order, in pages so the whole log is
// never held in memory.
func (s *AuditLogStore) Scan(ctx context.Context, fn func(*auditlog.Entry) error) error {
	after := int64(0)
	for {
		rows, err := s.db.Pool.Query(ctx, `SELECT `+auditColumns+` FROM audit_log WHERE id > $1 ORDER BY id LIMIT 5000`, after)
		if err != nil {
			return translate(err, "audit log")
		}
		var page []*auditlog.Entry
		for rows.Next() {
			e, err := scanAudit(rows)
			if err != nil {
				rows.Close()
				return err
			}
			page = append(page, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return translate(err, "audit log")
		}
		for _, e := range page {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(page) < 5000 {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

// FindEntries returns entries matching f, newest first.
func (s *AuditLogStore) FindEntries(ctx context.Context, f auditlog.Filter) ([]*auditlog.Entry, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT `+auditColumns+` FROM audit_log
WHERE ($1 = '' OR actor = $1) AND ($2 = '' OR action = $2) AND ($3 = '' OR object = $3)
ORDER BY id DESC LIMIT $4`, f.Actor, f.Action, f.Object, limit)
	if err != nil {
		return nil, translate(err, "audit log")
	}
	defer rows.Close()
	var out []*auditlog.Entry
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, translate(rows.Err(), "audit log")
}

// HeadAfter returns the newest entry's ID and hash and the number of
// entries after entry afterID (0: all), counted by the primary key's range.
func (s *AuditLogStore) HeadAfter(ctx context.Context, afterID int64) (lastID int64, hash []byte, entries int, err error) {
	err = s.db.Pool.QueryRow(ctx, `SELECT id, hash, (SELECT count(*) FROM audit_log WHERE id > $1) FROM audit_log ORDER BY id DESC LIMIT 1`, afterID).
		Scan(&lastID, &hash, &entries)
	if err == pgx.ErrNoRows {
		return 0, nil, 0, nil
	}
	return lastID, hash, entries, translate(err, "audit log")
}

// EntryHash returns entry id's stored hash (NotFound when there is none).
func (s *AuditLogStore) EntryHash(ctx context.Context, id int64) ([]byte, error) {
	var h []byte
	err := s.db.Pool.QueryRow(ctx, `SELECT hash FROM audit_log WHERE id = $1`, id).Scan(&h)
	return h, translate(err, "audit entry")
}
