package tiles

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"
)

// Scope is the part of the grid hierarchy a reader may see: everything, or
// the subtrees under Roots (a worker's own grids; a center's or viewer's
// subtree). The zero Scope sees nothing of a scoped layer.
type Scope struct {
	All   bool
	Roots []string
}

// Codes returns the scope roots for the store: nil for All.
func (s Scope) Codes() []string {
	if s.All {
		return nil
	}
	if s.Roots == nil {
		return []string{}
	}
	return s.Roots
}

func (s Scope) key() string {
	if s.All {
		return "*"
	}
	r := slices.Clone(s.Roots)
	slices.Sort(r)
	return strings.Join(r, ",")
}

// Store renders tiles and reports layer revisions.
type Store interface {
	// Tile renders one MVT tile.
	Tile(ctx context.Context, q TileQuery) ([]byte, error)
	// Revisions returns a token per layer_revisions entry that changes
	// with every committed change of that entry.
	Revisions(ctx context.Context) (map[string]string, error)
}

// TileQuery asks a store for one tile.
type TileQuery struct {
	Layer string
	Coord Coord
	// Scope are grid-subtree roots; nil means every feature, empty none.
	Scope []string
	// Day is the civil date (UTC midnight) of date-dependent attributes.
	Day time.Time
	// Params are the layer's own parameters, checked.
	Params Params
	// Version changes whenever the layer's data may have changed: it is
	// made of the layer's revisions (and the day, for daily layers).
	Version string
}

// Tile is an encoded tile and its entity tag.
type Tile struct {
	Data []byte
	ETag string // quoted
	// NotModified is set (and Data left nil) when the caller's
	// If-None-Match matched.
	NotModified bool
}

// Service serves tiles through the cache. A tile requested after a
// committed write never shows the old data: every request reads the
// layer's current revisions (one small query) and the cache key carries
// them, so a write makes every older entry unreachable.
type Service struct {
	Registry *Registry
	Store    Store
	Cache    *Cache // nil disables caching
	Now      func() time.Time
	Location *time.Location // for the civil date of Daily layers
	flight   singleflight.Group
}

// Day returns today's civil date (UTC midnight) in s.Location.
func (s *Service) Day() time.Time {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	t := now().In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Tile returns the tile of layer at c for scope and the layer's params
// (from Layer.ParamsFrom). When ifNoneMatch names the current entity tag
// the tile is not rendered.
func (s *Service) Tile(ctx context.Context, l *Layer, c Coord, scope Scope, params Params, ifNoneMatch string) (*Tile, error) {
	revs, err := s.Store.Revisions(ctx)
	if err != nil {
		return nil, err
	}
	day := s.Day()
	version := l.version(revs, day)
	var kb strings.Builder
	kb.WriteString(version)
	if l.Scoped {
		kb.WriteString("|" + scope.key())
	}
	kb.WriteString(params.key())
	kb.WriteString("|" + c.String())
	key := kb.String()
	sum := sha256.Sum256([]byte(key))
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	if matchETag(ifNoneMatch, etag) {
		return &Tile{ETag: etag, NotModified: true}, nil
	}
	if data, ok := s.Cache.get(key); ok {
		return &Tile{Data: data, ETag: etag}, nil
	}
	var codes []string
	if l.Scoped {
		codes = scope.Codes()
	}
	v, err := shared(ctx, &s.flight, key, func(ctx context.Context) (any, error) {
		data, err := s.Store.Tile(ctx, TileQuery{Layer: l.Name, Coord: c, Scope: codes, Day: day, Params: params, Version: version})
		if err != nil {
			return nil, err
		}
		s.Cache.add(key, data)
		return data, nil
	})
	if err != nil {
		return nil, err
	}
	return &Tile{Data: v.([]byte), ETag: etag}, nil
}

// version names the layer's data as of revs and day: its revisions (and
// the day, for daily layers).
func (l *Layer) version(revs map[string]string, day time.Time) string {
	var b strings.Builder
	b.WriteString(l.Name)
	for _, r := range l.Revisions {
		b.WriteString("|" + r + "=" + revs[r])
	}
	if l.Daily {
		b.WriteString("|" + day.Format("2006-01-02"))
	}
	return b.String()
}

// Warm loads the in-memory copy of every layer rendered from one
// (Stores.Snapshots) as of the current revisions, so that the first tiles
// after a start do not wait for it (at 20k grids, ~0.1 s).
func (s *Service) Warm(ctx context.Context) error {
	st, ok := s.Store.(interface{ snapshot(layer string) *Snapshot })
	if !ok {
		return nil
	}
	revs, err := s.Store.Revisions(ctx)
	if err != nil {
		return err
	}
	day := s.Day()
	for _, l := range s.Registry.Layers() {
		if sn := st.snapshot(l.Name); sn != nil {
			if _, err := sn.get(ctx, l.version(revs, day), day); err != nil {
				return fmt.Errorf("layer %s: %w", l.Name, err)
			}
		}
	}
	return nil
}

// matchETag implements the weak comparison of If-None-Match.
func matchETag(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// Cache is an in-process LRU of encoded tiles. Entries are never
// invalidated in place: a new layer revision changes the key, and the
// unreachable entries age out.
type Cache struct {
	lru          *lru.Cache[string, []byte]
	hits, misses atomic.Int64
}

// NewCache returns a cache of at most entries tiles (default 8192).
func NewCache(entries int) *Cache {
	if entries <= 0 {
		entries = 8192
	}
	c, err := lru.New[string, []byte](entries)
	if err != nil {
		panic(err) // only for a non-positive size, excluded above
	}
	return &Cache{lru: c}
}

func (c *Cache) get(key string) ([]byte, bool) {
	if c == nil {
		return nil, false
	}
	v, ok := c.lru.Get(key)
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return v, ok
}

func (c *Cache) add(key string, data []byte) {
	if c != nil {
		c.lru.Add(key, data)
	}
}

// Stats returns the hits, misses and current entries.
func (c *Cache) Stats() (hits, misses int64, entries int) {
	if c == nil {
		return 0, 0, 0
	}
	return c.hits.Load(), c.misses.Load(), c.lru.Len()
}
