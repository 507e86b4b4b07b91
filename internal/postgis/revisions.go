package postgis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"maps"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// layersChannel carries a layer's name whenever it changes: a change of a
// layer_revisions row (trigger, migration 00026) or a write to one of the
// busy layers (notifyLayer), in the transaction of the change.
const layersChannel = "gridd_layers"

// busyLayers change with every case or patrol write, too often to lock
// their layer_revisions rows: their writes only notify (notifyLayer), and
// an instance counts those notifications into the layer's token.
var busyLayers = map[string]bool{"cases": true, "patrols": true}

// notifyLayer tells every instance, once tx commits, that layer changed
// (for the busy layers, which have no layer_revisions bump).
func notifyLayer(ctx context.Context, tx pgx.Tx, layer string) error {
	changedLayer(tx, layer)
	return notifyAfterCommit(ctx, tx, layersChannel, layer)
}

// revisionCache holds the layer revision tokens between changes. It is
// trusted only while its DB listens on gridd_layers (ListenLayers).
//
// A layer_revisions change marks the tokens stale: the next reader reads
// them once for everyone. A busy layer's token is its row's token, this
// listening session's random epoch and the count of its notifications in
// the session: a notification arrives after its commit, so a tile
// rendered under the new token sees the change. Not listening, every
// reader reads the database and the busy layers get a new token on every
// read (nothing of theirs is cached or answered 304 meanwhile).
type revisionCache struct {
	mu        sync.Mutex
	listening bool
	epoch     string
	counts    map[string]uint64
	gen       uint64            // bumped by every layer_revisions change
	rows      map[string]string // the tokens of layer_revisions; nil: stale
	tokens    map[string]string // rows plus the busy layers' counts
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

// keep stores rows read at generation gen, unless a change was noted
// since (the read may predate it), and returns the tokens.
func (c *revisionCache) keep(gen uint64, rows map[string]string) map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.listening {
		out := maps.Clone(rows)
		for l := range busyLayers {
			out[l] += ".n" + nonce()
		}
		return out
	}
	tokens := c.withCounts(rows)
	if c.gen == gen {
		c.rows, c.tokens = rows, tokens
	}
	return tokens
}

// withCounts returns rows with the busy layers' session tokens; c.mu is
// held.
func (c *revisionCache) withCounts(rows map[string]string) map[string]string {
	out := maps.Clone(rows)
	for l := range busyLayers {
		out[l] += "." + c.epoch + "." + strconv.FormatUint(c.counts[l], 10)
	}
	return out
}

// changed notes layers this instance has just changed (committed): it
// reads its own writes without waiting for their notifications.
func (c *revisionCache) changed(layers []string) {
	for _, l := range layers {
		c.note(l)
	}
}

// note applies one notification.
func (c *revisionCache) note(layer string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if busyLayers[layer] {
		if c.counts == nil {
			c.counts = map[string]uint64{}
		}
		c.counts[layer]++
		if c.rows != nil {
			c.tokens = c.withCounts(c.rows)
		}
		return
	}
	c.gen++
	c.rows, c.tokens = nil, nil
}

// stale makes the next reader reread the layer_revisions rows.
func (c *revisionCache) stale() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.rows, c.tokens = nil, nil
}

func (c *revisionCache) setListening(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.listening = on
	c.gen++
	c.rows, c.tokens = nil, nil
	c.epoch, c.counts = nonce(), map[string]uint64{}
}

func nonce() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ListenLayers keeps db's layer revisions in memory while it listens on
// gridd_layers, until ctx ends or the connection fails (the caller
// reconnects). Meanwhile Revisions reads the database only after a
// change of layer_revisions.
//
// Once listening it announces the busy layers to every instance: the
// notification of a write is sent after its commit (notifyAfterCommit),
// and one lost to an instance that died in between is made good when it
// comes back.
func (db *DB) ListenLayers(ctx context.Context) error {
	defer db.revs.setListening(false)
	return db.Listen(ctx, layersChannel, func() {
		db.revs.setListening(true)
		announce := make([]note, 0, len(busyLayers))
		for l := range busyLayers {
			announce = append(announce, note{layersChannel, l})
		}
		db.notes.send(db, announce)
	}, db.revs.note)
}

// LayersListening reports whether the revisions are held in memory.
func (db *DB) LayersListening() bool {
	db.revs.mu.Lock()
	defer db.revs.mu.Unlock()
	return db.revs.listening
}

// revisions returns a token per layer_revisions entry, "revision.changed_at"
// (the timestamp keeps tokens distinct across a rebuilt database), with the
// busy layers' counts (revisionCache): from memory while listening and
// unchanged, else from the database. The map is shared: callers must not
// modify it.
//
// A request reading from a standby (Replica.Route) gets the standby's
// tokens (standbyRevisions).
func (db *DB) revisions(ctx context.Context) (map[string]string, error) {
	if rt, ok := standbyRoute(ctx); ok {
		return db.standbyRevs.tokens(ctx, rt)
	}
	m, gen, ok := db.revs.cached()
	if ok {
		return m, nil
	}
	out, err := readRevisions(ctx, db.Pool)
	if err != nil {
		return nil, err
	}
	return db.revs.keep(gen, out), nil
}

// readRevisions reads the layer_revisions tokens, on a pool or in a
// transaction.
func readRevisions(ctx context.Context, q querier) (map[string]string, error) {
	rows, err := q.Query(ctx, `
SELECT layer, revision::text || '.' || (extract(epoch FROM changed_at) * 1000000)::bigint::text
FROM layer_revisions`)
	if err != nil {
		return nil, translate(err, "layer revisions")
	}
	out := map[string]string{}
	var l, r string
	if _, err = pgx.ForEachRow(rows, []any{&l, &r}, func() error { out[l] = r; return nil }); err != nil {
		return nil, translate(err, "layer revisions")
	}
	return out, nil
}

// standbyRevisionsTTL is how long tokens read on a standby serve other
// requests routed there.
const standbyRevisionsTTL = 250 * time.Millisecond

// standbyRevisions are the layer_revisions tokens as a standby had them,
// and the standby's replay position before they were read: what a request
// renders and caches under them is the standby's data at those revisions
// or newer, never older. They serve, for standbyRevisionsTTL, every
// request routed to the standby that need not see a later position; a
// request carrying a later position (read-your-writes) reads them again,
// so that it cannot be answered a cached tile from before its write. The
// busy layers, whose tokens count this instance's notifications from the
// primary, get a new token on every such read (nothing of theirs read on
// a standby is cached).
type standbyRevisions struct {
	mu   sync.Mutex
	rows map[string]string
	pos  LSN
	at   time.Time
}

func (c *standbyRevisions) tokens(ctx context.Context, rt readRoute) (map[string]string, error) {
	c.mu.Lock()
	rows := c.rows
	fresh := rows != nil && c.pos >= rt.after && time.Since(c.at) < standbyRevisionsTTL
	c.mu.Unlock()
	if !fresh {
		at := time.Now()
		var s *string
		if err := rt.pool.QueryRow(ctx, `SELECT pg_last_wal_replay_lsn()::text`).Scan(&s); err != nil {
			return nil, translate(err, "layer revisions")
		}
		var pos LSN
		if s != nil {
			pos, _ = ParseLSN(*s)
		}
		var err error
		if rows, err = readRevisions(ctx, rt.pool); err != nil {
			return nil, err
		}
		c.mu.Lock()
		if pos >= c.pos {
			c.rows, c.pos, c.at = rows, pos, at
		}
		c.mu.Unlock()
	}
	out := maps.Clone(rows)
	n := nonce()
	for l := range busyLayers {
		out[l] += ".r" + n
	}
	return out, nil
}
