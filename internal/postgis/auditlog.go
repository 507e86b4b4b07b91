package postgis

import (
	"context"
	"fmt"
	"strings"
	"time"

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

// auditChainLock is the advisory lock key held by the one sealer at a
// time: it reads the chain's head and links the unsealed entries after it.
// Writers never take it.
const auditChainLock = 0x67726964_61756474 // "griddaudt"

// Append stores es, unsealed, in one transaction (the Log groups
// concurrent entries into one call).
func (s *AuditLogStore) Append(ctx context.Context, es ...*auditlog.Entry) error {
	if len(es) == 0 {
		return nil
	}
	// Not db.tx: these entries are the whole transaction, never a
	// request's pending entry.
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		_, err := s.db.appendAudit(ctx, tx, s.Key, false, es)
		return err
	})
	if err == nil {
		s.db.noteAudit()
	}
	return err
}

// appendAudit inserts es inside tx, unsealed, each with its MAC: the one
// place that writes audit rows. It takes no lock, so transactions that
// write audit entries commit independently; the sealer links them after.
// With ifChanged it inserts only when tx has changed something (it has a
// transaction id) and reports whether it did.
func (db *DB) appendAudit(ctx context.Context, tx pgx.Tx, key []byte, ifChanged bool, es []*auditlog.Entry) (bool, error) {
	ids, err := db.auditIDs.take(ctx, tx, len(es), ifChanged)
	if err != nil || ids == nil {
		return false, err
	}
	tag, err := tx.Exec(ctx, appendAuditSQL, append(auditArgs(key, es, ids), ifChanged)...)
	if err != nil {
		return false, translate(err, "audit entry")
	}
	return tag.RowsAffected() > 0, nil
}

// appendAuditSQL inserts the entries of auditArgs; with ifChanged ($16)
// only when the transaction has changed something.
var appendAuditSQL = auditInsertSQL(1) + `
WHERE NOT $16 OR txid_current_if_assigned() IS NOT NULL`

// auditInsertSQL inserts the entries of auditArgs, given as the 15
// parameters from $first on; a WHERE added after it names them ae.
func auditInsertSQL(first int) string {
	types := []string{"bigint", "timestamptz", "bigint", "text", "text", "text", "text", "text", "text", "int", "text", "text", "text", "text", "bytea"}
	params := make([]string, len(types))
	for i, t := range types {
		params[i] = fmt.Sprintf("$%d::%s[]", first+i, t)
	}
	const columns = `id, at, actor_id, actor, role, action, method, route, path, status, request_id, object, grid_code, reason, mac`
	return `
INSERT INTO audit_log (` + columns + `)
SELECT * FROM unnest(` + strings.Join(params, ", ") + `) AS ae(` + columns + `)`
}

// auditArgs gives es their ids and MACs and returns auditInsertSQL's 15
// arguments.
func auditArgs(key []byte, es []*auditlog.Entry, ids []int64) []any {
	var (
		id, actorID, status                                                   = make([]int64, len(es)), make([]*int64, len(es)), make([]int32, len(es))
		at                                                                    = make([]time.Time, len(es))
		actor, role, action, method, route, path, reqID, object, grid, reason []string
		mac                                                                   = make([][]byte, len(es))
	)
	for i, e := range es {
		e.ID, e.Seal, e.PrevHash, e.Hash = ids[i], 0, nil, nil
		e.MAC = auditlog.EntryMAC(key, e)
		id[i], at[i], status[i], mac[i] = e.ID, e.At, int32(e.Status), e.MAC
		if e.ActorID != 0 {
			actorID[i] = &e.ActorID
		}
		actor, role, action = append(actor, e.Actor), append(role, e.Role), append(action, e.Action)
		method, route, path = append(method, e.Method), append(route, e.Route), append(path, e.Path)
		reqID, object, grid, reason = append(reqID, e.RequestID), append(object, e.Object), append(grid, e.GridCode), append(reason, e.Reason)
	}
	return []any{id, at, actorID, actor, role, action, method, route, path, status, reqID, object, grid, reason, mac}
}

// sealBatch bounds the entries linked in one sealing transaction.
const sealBatch = 2000

// Seal links the committed unsealed entries into the chain, oldest ID
// first, after the chain's head, in transactions of up to sealBatch
// entries, until none is left; it returns how many it sealed. Another
// sealer holding the chain (another instance) makes it return 0 at once.
// An entry whose MAC does not verify under s.Key is left unsealed (forged;
// VerifyWith reports it).
//
// Any committed entry may be sealed: the chain's order is the order of
// sealing, not of IDs or commits, so an entry that commits late (its
// transaction ran long) is simply linked after those sealed before it.
// Only committed rows are visible to the sealer, and each is sealed once
// (the lock, and the UPDATE's hash IS NULL recheck).
func (s *AuditLogStore) Seal(ctx context.Context) (int, error) {
	total := 0
	after := int64(0)
	for {
		n, last, more, err := s.sealOnce(ctx, after)
		total += n
		if err != nil || !more {
			return total, err
		}
		after = last
	}
}

// sealOnce seals the unsealed entries with IDs after after, up to
// sealBatch of them; last is the greatest ID it read, more whether there
// may be others (paging past forged entries, which stay unsealed).
func (s *AuditLogStore) sealOnce(ctx context.Context, after int64) (sealed int, last int64, more bool, err error) {
	err = pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		var locked bool
		var seal int64
		prev := auditlog.Genesis
		var es []*auditlog.Entry
		b := &pgx.Batch{}
		b.Queue(`SELECT pg_try_advisory_xact_lock($1)`, int64(auditChainLock)).QueryRow(func(row pgx.Row) error { return row.Scan(&locked) })
		b.Queue(`SELECT seal, hash FROM audit_log WHERE seal IS NOT NULL ORDER BY seal DESC LIMIT 1`).QueryRow(func(row pgx.Row) error {
			if err := row.Scan(&seal, &prev); err != nil && err != pgx.ErrNoRows {
				return err
			}
			return nil
		})
		b.Queue(`SELECT `+auditColumns+`, mac FROM audit_log WHERE hash IS NULL AND id > $1 ORDER BY id LIMIT $2`, after, sealBatch).Query(func(rows pgx.Rows) error {
			var err error
			es, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*auditlog.Entry, error) { return scanAudit(row, true) })
			return err
		})
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		if !locked || len(es) == 0 {
			return nil
		}
		more, last = len(es) == sealBatch, es[len(es)-1].ID
		var ids, seals []int64
		var prevs, hashes [][]byte
		for _, e := range es {
			if !auditlog.CheckMAC(s.Key, e) {
				continue // forged: never linked
			}
			seal++
			e.Seal, e.PrevHash = seal, prev
			e.Hash = auditlog.LinkHash(s.Key, prev, e)
			prev = e.Hash
			ids, seals, prevs, hashes = append(ids, e.ID), append(seals, e.Seal), append(prevs, e.PrevHash), append(hashes, e.Hash)
		}
		if len(ids) == 0 {
			return nil
		}
		tag, err := tx.Exec(ctx, `
UPDATE audit_log a SET seal = v.seal, prev_hash = v.prev, hash = v.hash
FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[]) v(id, seal, prev, hash)
WHERE a.id = v.id AND a.hash IS NULL`, ids, seals, prevs, hashes)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != int64(len(ids)) {
			return fmt.Errorf("audit seal: %d of %d entries sealed by another", len(ids)-int(tag.RowsAffected()), len(ids))
		}
		sealed = len(ids)
		return nil
	})
	if err != nil {
		return 0, 0, false, translate(err, "audit seal")
	}
	return sealed, last, more, nil
}

// ScanUnsealed calls fn for every entry not sealed yet, in ID order.
func (s *AuditLogStore) ScanUnsealed(ctx context.Context, fn func(*auditlog.Entry) error) error {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+auditColumns+`, mac FROM audit_log WHERE hash IS NULL ORDER BY id`)
	if err != nil {
		return translate(err, "audit log")
	}
	es, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*auditlog.Entry, error) { return scanAudit(row, true) })
	if err != nil {
		return translate(err, "audit log")
	}
	for _, e := range es {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// RunSealer seals the entries this instance commits, within every of
// their commit (batched: the first commit after a pass arms the timer),
// and every fallback whatever it wrote (the entries of an instance that
// stopped before sealing, rows committed while another sealer held the
// chain), until ctx ends; then once more. An idle instance runs one
// query per fallback.
func (s *AuditLogStore) RunSealer(ctx context.Context, every, fallback time.Duration, onErr func(error)) {
	seal := func(ctx context.Context) {
		if _, err := s.Seal(ctx); err != nil && ctx.Err() == nil {
			onErr(err)
		}
	}
	t := time.NewTicker(fallback)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			seal(context.WithoutCancel(ctx))
			return
		case <-s.db.auditWritten:
			select {
			case <-ctx.Done():
			case <-time.After(every):
			}
			seal(ctx)
		case <-t.C:
			seal(ctx)
		}
	}
}

// noteAudit tells this instance's sealer that audit entries committed.
func (db *DB) noteAudit() {
	select {
	case db.auditWritten <- struct{}{}:
	default: // a seal is already due
	}
}

const auditColumns = `id, at, coalesce(actor_id, 0), actor, role, action, method, route, path, status, request_id, object, grid_code, reason, coalesce(seal, 0), prev_hash, hash`

// scanAudit reads auditColumns, and mac after them when withMAC.
func scanAudit(row pgx.Row, withMAC bool) (*auditlog.Entry, error) {
	var e auditlog.Entry
	dst := []any{&e.ID, &e.At, &e.ActorID, &e.Actor, &e.Role, &e.Action, &e.Method, &e.Route, &e.Path, &e.Status,
		&e.RequestID, &e.Object, &e.GridCode, &e.Reason, &e.Seal, &e.PrevHash, &e.Hash}
	if withMAC {
		dst = append(dst, &e.MAC)
	}
	if err := row.Scan(dst...); err != nil {
		return nil, err
	}
	return &e, nil
}

// Scan calls fn for every sealed entry in chain (seal) order, in pages so
// the whole log is never held in memory.
func (s *AuditLogStore) Scan(ctx context.Context, fn func(*auditlog.Entry) error) error {
	after := int64(0)
	for {
		rows, err := s.db.Pool.Query(ctx, `SELECT `+auditColumns+` FROM audit_log WHERE seal > $1 ORDER BY seal LIMIT 5000`, after)
		if err != nil {
			return translate(err, "audit log")
		}
		var page []*auditlog.Entry
		for rows.Next() {
			e, err := scanAudit(rows, false)
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
		after = page[len(page)-1].Seal
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
		e, err := scanAudit(rows, false)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, translate(rows.Err(), "audit log")
}

// Head returns the newest sealed entry's ID and hash and the number of
// sealed entries (its seal: seals are numbered 1, 2, … in chain order).
func (s *AuditLogStore) Head(ctx context.Context) (lastID int64, hash []byte, entries int, err error) {
	err = s.db.Pool.QueryRow(ctx, `SELECT id, hash, seal FROM audit_log WHERE seal IS NOT NULL ORDER BY seal DESC LIMIT 1`).
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
