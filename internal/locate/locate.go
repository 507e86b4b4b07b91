// Package locate assigns points to grids. It keeps an in-memory
// spatial/gridindex index of the current grid versions, rebuilt after every
// committed grid change and swapped atomically so lookups never block, and
// builds indexes of past versions on demand for "as of" questions.
package locate

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gridd/gridd/internal/registry"
	"github.com/gridd/gridd/spatial/gridindex"
	"github.com/paulmach/orb"
)

// MaxBoundaryDistance caps boundary_distance_m: a point farther than this
// from every grid boundary reports the cap. The figure is for flagging
// reports near an edge, so 1 km is plenty, and the search cost grows with it.
const MaxBoundaryDistance = 1000.0

// Source lists grid versions.
type Source interface {
	FindGrids(ctx context.Context, f registry.GridFilter) ([]*registry.Grid, error)
}

// Hit is one grid of a point's chain.
type Hit struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Level int    `json:"level"`
}

// Result is the answer for one point.
type Result struct {
	Covered           bool      `json:"covered"`
	Point             orb.Point `json:"point"`
	Chain             []Hit     `json:"chain"`
	BoundaryDistanceM float64   `json:"boundary_distance_m"`
}

type snapshot struct {
	ix   *gridindex.Index
	tree *registry.Tree
	// since is the latest valid_from of the versions indexed: the current
	// snapshot answers for every instant after it.
	since time.Time

	grids     []*registry.Grid
	shapesSet sync.Once
	shapes    map[string]*registry.Grid // grids by code, built on first use (Geometry)
}

// Service answers point-in-grid questions.
type Service struct {
	src Source
	cur atomic.Pointer[snapshot]

	buildMu sync.Mutex // one rebuild at a time
	pastMu  sync.Mutex
	past    map[string]*snapshot // as-of indexes by date, dropped on Refresh
}

// New returns a service with an empty index; call Refresh to load it.
func New(src Source) *Service {
	s := &Service{src: src, past: map[string]*snapshot{}}
	empty, _ := gridindex.New(nil)
	s.cur.Store(&snapshot{ix: empty, tree: registry.NewTree(nil)})
	return s
}

func (s *Service) build(ctx context.Context, asOf *time.Time) (*snapshot, error) {
	grids, err := s.src.FindGrids(ctx, registry.GridFilter{AsOf: asOf, Limit: 10_000_000})
	if err != nil {
		return nil, err
	}
	// Codes and names are copied into one block, in the index's order: a
	// batch of lookups then reads compact memory rather than strings
	// scattered over the heap.
	var text strings.Builder
	n := 0
	for _, g := range grids {
		n += len(g.Code) + len(g.Name)
	}
	text.Grow(n)
	for _, g := range grids {
		text.WriteString(g.Code)
		text.WriteString(g.Name)
	}
	all, off := text.String(), 0
	in := make([]gridindex.Grid, len(grids))
	for i, g := range grids {
		code := all[off : off+len(g.Code)]
		off += len(g.Code)
		name := all[off : off+len(g.Name)]
		off += len(g.Name)
		in[i] = gridindex.Grid{Code: code, Name: name, Level: g.Level, Geometry: g.Geometry}
	}
	ix, err := gridindex.New(in)
	if err != nil {
		return nil, fmt.Errorf("build grid index: %w", err)
	}
	snap := &snapshot{ix: ix, tree: registry.NewTree(grids)}
	if asOf == nil {
		snap.grids = grids // for Geometry, which answers from the current index only
	}
	for _, g := range grids {
		if g.ValidFrom.After(snap.since) {
			snap.since = g.ValidFrom
		}
	}
	return snap, nil
}

// Refresh rebuilds the current index from the store and swaps it in.
// Lookups keep using the previous index until the swap.
func (s *Service) Refresh(ctx context.Context) error {
	s.buildMu.Lock()
	defer s.buildMu.Unlock()
	snap, err := s.build(ctx, nil)
	if err != nil {
		return err
	}
	s.cur.Store(snap)
	s.pastMu.Lock()
	s.past = map[string]*snapshot{}
	s.pastMu.Unlock()
	return nil
}

// Tree returns the current grid hierarchy.
func (s *Service) Tree() *registry.Tree { return s.cur.Load().tree }

// Geometry returns the geometry of version of grid code when the current
// index holds that version, so that another in-memory copy of the grids
// (the grids tiles' snapshot) shares it instead of reading it again. The
// geometry is shared: callers must not modify it.
func (s *Service) Geometry(code string, version int) (orb.MultiPolygon, bool) {
	snap := s.cur.Load()
	snap.shapesSet.Do(func() {
		snap.shapes = make(map[string]*registry.Grid, len(snap.grids))
		for _, g := range snap.grids {
			snap.shapes[g.Code] = g
		}
	})
	if g := snap.shapes[code]; g != nil && g.Version == version {
		return g.Geometry, true
	}
	return nil, false
}

// Len returns the number of grids indexed.
func (s *Service) Len() int { return s.cur.Load().ix.Len() }

func (s *Service) at(ctx context.Context, at *time.Time) (*snapshot, error) {
	// Every edit closes a version and opens the next at the same instant,
	// so after the newest valid_from the current versions are the ones valid.
	if cur := s.cur.Load(); at == nil || at.After(cur.since) {
		return cur, nil
	}
	key := at.UTC().Format(time.RFC3339Nano)
	s.pastMu.Lock()
	snap, ok := s.past[key]
	s.pastMu.Unlock()
	if ok {
		return snap, nil
	}
	snap, err := s.build(ctx, at)
	if err != nil {
		return nil, err
	}
	s.pastMu.Lock()
	if len(s.past) > 16 {
		s.past = map[string]*snapshot{}
	}
	s.past[key] = snap
	s.pastMu.Unlock()
	return snap, nil
}

// Locate answers for WGS84 points, using the grid versions valid at at
// (current when nil). Points on a shared boundary follow gridindex's rule.
// A point in no grid has an empty, non-nil Chain.
func (s *Service) Locate(ctx context.Context, pts []orb.Point, at *time.Time) ([]Result, error) {
	out := make([]Result, len(pts))
	err := s.LocateEach(ctx, pts, at, func(i int, r *Result) {
		out[i] = *r
		out[i].Chain = append(make([]Hit, 0, len(r.Chain)), r.Chain...)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// LocateEach answers as Locate does, calling fn(i, r) for each point in
// order instead of collecting the results: r and its Chain are reused
// and only valid during the call, so nothing is allocated per point.
func (s *Service) LocateEach(ctx context.Context, pts []orb.Point, at *time.Time, fn func(i int, r *Result)) error {
	snap, err := s.at(ctx, at)
	if err != nil {
		return err
	}
	var r Result
	var chain [8]Hit
	r.Chain = chain[:0]
	snap.ix.LocateEachDistance(pts, MaxBoundaryDistance, func(i int, grids []*gridindex.Grid, dist float64) {
		r.Point, r.Covered, r.Chain = pts[i], len(grids) > 0, r.Chain[:0]
		for _, g := range grids {
			r.Chain = append(r.Chain, Hit{Code: g.Code, Name: g.Name, Level: g.Level})
		}
		r.BoundaryDistanceM = dist
		fn(i, &r)
	})
	return nil
}

// LocateLevel returns the grid at level containing p now, if any.
func (s *Service) LocateLevel(p orb.Point, level int) (string, bool) {
	g, ok := s.cur.Load().ix.LocateLevel(p, level)
	if !ok {
		return "", false
	}
	return g.Code, true
}

// Watch refreshes whenever rev reports a new grids revision (another
// process changed the grids): at once when wake fires (a notification
// that the grids changed), and every interval in case one was missed,
// until ctx ends. wake may be nil.
func (s *Service) Watch(ctx context.Context, interval time.Duration, wake <-chan struct{}, rev func(context.Context) (int64, error), onErr func(error)) {
	last, _ := rev(ctx)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
		}
		r, err := rev(ctx)
		if err != nil {
			onErr(err)
			continue
		}
		if r != last {
			if err := s.Refresh(ctx); err != nil {
				onErr(err)
				continue
			}
			last = r
		}
	}
}
