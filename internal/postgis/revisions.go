package postgis

import (
	"context"
	"sync"

	"github.com/jackc/pgx/v5"
)

// layersChannel carries a layer's name whenever its revision changes: a
// layer_revisions row (trigger, migration 00026) or a layer bumped after
// commit (bumpAfterCommit).
const layersChannel = "gridd_layers"

// revisionCache holds the layer revision tokens between changes. It is
// trusted only while its DB listens on gridd_layers (ListenLayers): a
// notification marks it stale and the next reader reads the tokens once
// for everyone. Not listening, every reader reads the database.
type revisionCache struct {
	mu        sync.Mutex
	listening bool
	gen       uint64            // bumped by every notification
	tokens    map[string]string // nil: stale
}

// cached returns the tokens if they are trusted and fresh, and the
// generation a reader must hand to keep.
func (c *revisionCache) cached() (map[string]string, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.listening && c.tokens != nil {
		return c.tokens, c.gen, true
	}
	return nil, c.gen, false
}

// keep stores tokens read at generation gen, unless a change was noted
// since (the read may predate it).
func (c *revisionCache) keep(gen uint64, tokens map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.listening && c.gen == gen {
		c.tokens = tokens
	}
}

func (c *revisionCache) stale() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.tokens = nil
}

func (c *revisionCache) setListening(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.listening = on
	c.gen++
	c.tokens = nil
}

// ListenLayers keeps db's layer revisions in memory while it listens on
// gridd_layers, until ctx ends or the connection fails (the caller
// reconnects). Meanwhile Revisions reads the database only after a
// change.
func (db *DB) ListenLayers(ctx context.Context) error {
	defer db.revs.setListening(false)
	return db.Listen(ctx, layersChannel, func() { db.revs.setListening(true) }, func(string) { db.revs.stale() })
}

// LayersListening reports whether the revisions are held in memory.
func (db *DB) LayersListening() bool {
	db.revs.mu.Lock()
	defer db.revs.mu.Unlock()
	return db.revs.listening
}

// revisions returns "revision.changed_at" per layer_revisions entry (plus
// ".bumps" for the layers bumped after commit by a sequence): from memory
// while listening and unchanged, else from the database. The map is
// shared: callers must not modify it.
func (db *DB) revisions(ctx context.Context) (map[string]string, error) {
	if m, _, ok := db.revs.cached(); ok {
		return m, nil
	}
	_, gen, _ := db.revs.cached()
	rows, err := db.Pool.Query(ctx, `
SELECT layer, revision::text || '.' || (extract(epoch FROM changed_at) * 1000000)::bigint::text ||
       CASE layer WHEN 'cases' THEN '.' || (SELECT last_value FROM cases_layer_bumps)::text
                  WHEN 'patrols' THEN '.' || (SELECT last_value FROM patrols_layer_bumps)::text ELSE '' END
FROM layer_revisions`)
	if err != nil {
		return nil, translate(err, "layer revisions")
	}
	out := map[string]string{}
	var l, r string
	if _, err = pgx.ForEachRow(rows, []any{&l, &r}, func() error { out[l] = r; return nil }); err != nil {
		return nil, translate(err, "layer revisions")
	}
	db.revs.keep(gen, out)
	return out, nil
}
