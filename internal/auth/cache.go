package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// Cache keeps the principals behind recently used tokens and API keys,
// keyed by the token's hash, so that a request is authenticated without a
// database round trip. It is trusted only while its instance listens for
// invalidations (SetListening): every change to a session, an API key, a
// user or a worker's assignments is notified by the database in the same
// transaction (channel gridd_auth, see migration 00022) and Note drops the
// entries it concerns. When the listener is down the cache is emptied and
// bypassed, because notifications may be missed.
type Cache struct {
	mu        sync.Mutex
	lru       *simplelru.LRU[[sha256.Size]byte, cached]
	gen       uint64 // bumped by every invalidation: a fill read before it is stale
	listening bool
}

type cached struct {
	p       *Principal
	expires time.Time // zero: none (API keys)
	day     time.Time // the civil day the worker's grids were read for
}

// NewCache returns a cache holding up to size principals.
func NewCache(size int) *Cache {
	l, err := simplelru.NewLRU[[sha256.Size]byte, cached](size, nil)
	if err != nil {
		panic(err) // size <= 0: a wiring bug
	}
	return &Cache{lru: l}
}

// SetListening tells the cache whether invalidations reach it. Either way
// it starts empty: notifications may have been missed.
func (c *Cache) SetListening(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.listening = on
	c.gen++
	c.lru.Purge()
}

// Note applies one gridd_auth notification: "t<hex hash>" drops a token
// or key, "u<user id>" every token of a user. Anything else empties the
// cache.
func (c *Cache) Note(payload string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if len(payload) > 1 {
		switch payload[0] {
		case 't':
			var k [sha256.Size]byte
			if n, err := hex.Decode(k[:], []byte(payload[1:])); err == nil && n == len(k) {
				c.lru.Remove(k)
				return
			}
		case 'u':
			if id, err := strconv.ParseInt(payload[1:], 10, 64); err == nil {
				c.removeUser(id)
				return
			}
		}
	}
	c.lru.Purge()
}

// removeUser drops every token of user id; c.mu is held.
func (c *Cache) removeUser(id int64) {
	for _, k := range c.lru.Keys() {
		if e, ok := c.lru.Peek(k); ok && e.p.User.ID == id {
			c.lru.Remove(k)
		}
	}
}

// drop forgets token hash h at once (this instance's own revocation; the
// others learn of it by notification).
func (c *Cache) drop(h []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.lru.Remove([sha256.Size]byte(h))
}

// dropUser forgets every token of user id at once.
func (c *Cache) dropUser(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.removeUser(id)
}

// Len is the number of principals held.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// get returns the entry for hash, if the cache is trusted and holds it.
func (c *Cache) get(h []byte) (cached, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.listening {
		return cached{}, false
	}
	return c.lru.Get([sha256.Size]byte(h))
}

// remove drops hash (an expired entry).
func (c *Cache) remove(h []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Remove([sha256.Size]byte(h))
}

// begin starts a fill: the generation to hand to put, and whether a fill
// may be kept at all.
func (c *Cache) begin() (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen, c.listening
}

// put keeps e unless an invalidation came since begin returned gen (the
// database read may predate it).
func (c *Cache) put(h []byte, gen uint64, e cached) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.listening && c.gen == gen {
		c.lru.Add([sha256.Size]byte(h), e)
	}
}

// Holds reports whether the principal behind token (a bearer token or an
// API key) is held (diagnostics and tests).
func (c *Cache) Holds(token string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Contains([sha256.Size]byte(hashToken(token)))
}
