package tiles

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
)

func TestParseCoord(t *testing.T) {
	for _, tc := range []struct {
		z, x, y string
		want    Coord
		field   string
	}{
		{"0", "0", "0", Coord{0, 0, 0}, ""},
		{"14", "13540", "6394", Coord{14, 13540, 6394}, ""},
		{"22", "4194303", "4194303", Coord{22, 4194303, 4194303}, ""},
		{"23", "0", "0", Coord{}, "z"},
		{"-1", "0", "0", Coord{}, "z"},
		{"", "0", "0", Coord{}, "z"},
		{"1", "2", "0", Coord{}, "x"},
		{"1", "-1", "0", Coord{}, "x"},
		{"1", "0x1", "0", Coord{}, "x"},
		{"1", "1", "2", Coord{}, "y"},
		{"0", "0", "1", Coord{}, "y"},
	} {
		got, err := ParseCoord(tc.z, tc.x, tc.y)
		if tc.field == "" {
			if err != nil || got != tc.want {
				t.Errorf("%s/%s/%s: %v, %v; want %v", tc.z, tc.x, tc.y, got, err, tc.want)
			}
			continue
		}
		e, ok := errs.As(err)
		if !ok || e.Kind != errs.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != tc.field {
			t.Errorf("%s/%s/%s: error %v, want Invalid naming %s", tc.z, tc.x, tc.y, err, tc.field)
		}
	}
}

func TestNewRegistry(t *testing.T) {
	all := func(string) bool { return true }
	if _, err := NewRegistry(all, Builtin()...); err != nil {
		t.Fatalf("builtin layers: %v", err)
	}
	ok := Layer{Name: "cases", Revisions: []string{"cases"}, MaxZoom: 22}
	for name, tc := range map[string]struct {
		has    func(string) bool
		layers []Layer
	}{
		"duplicate":    {all, []Layer{ok, ok}},
		"bad name":     {all, []Layer{{Name: "Cases", Revisions: []string{"x"}}}},
		"zoom range":   {all, []Layer{{Name: "a", Revisions: []string{"x"}, MinZoom: 5, MaxZoom: 4}}},
		"zoom too big": {all, []Layer{{Name: "a", Revisions: []string{"x"}, MaxZoom: 23}}},
		"no revisions": {all, []Layer{{Name: "a", MaxZoom: 3}}},
		"no query":     {func(n string) bool { return n != "cases" }, []Layer{ok}},
		"field twice":  {all, []Layer{{Name: "a", Revisions: []string{"x"}, Fields: []Field{{Name: "f"}, {Name: "f"}}}}},
	} {
		if _, err := NewRegistry(tc.has, tc.layers...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	r, _ := NewRegistry(all, Builtin()...)
	_, err := r.Layer("nosuch")
	if e, ok := errs.As(err); !ok || e.Kind != errs.NotFound || strings.Join(e.Allowed, ",") != "grids,audit,zones,roads" {
		t.Errorf("unknown layer: %v", err)
	}
	l, _ := r.Layer("audit")
	if l.CanRead(people.RoleWorker) || !l.CanRead(people.RoleViewer) {
		t.Errorf("audit readers wrong")
	}
}

// fakeStore counts renders; its tiles name the revision they were made at.
type fakeStore struct {
	mu      sync.Mutex
	revs    map[string]string
	renders int
	scopes  [][]string
}

func (f *fakeStore) Tile(_ context.Context, q TileQuery) ([]byte, error) {
	layer, c, scope, day := q.Layer, q.Coord, q.Scope, q.Day
	f.mu.Lock()
	defer f.mu.Unlock()
	f.renders++
	f.scopes = append(f.scopes, scope)
	return []byte(fmt.Sprintf("%s %s %s %v %s", layer, c, f.revs["grids"], scope, day.Format("2006-01-02"))), nil
}

func (f *fakeStore) Revisions(context.Context) (map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for k, v := range f.revs {
		out[k] = v
	}
	return out, nil
}

func TestServiceCache(t *testing.T) {
	st := &fakeStore{revs: map[string]string{"grids": "1", "assignments": "1", "zones": "1"}}
	reg, _ := NewRegistry(nil, Builtin()...)
	now := time.Date(2026, 11, 20, 23, 0, 0, 0, time.UTC) // 07:00 on the 21st in Shanghai
	loc := time.FixedZone("CST", 8*3600)
	svc := &Service{Registry: reg, Store: st, Cache: NewCache(100), Now: func() time.Time { return now }, Location: loc}
	ctx := context.Background()
	grids, _ := reg.Layer("grids")
	zones, _ := reg.Layer("zones")
	c := Coord{14, 13540, 6394}
	all := Scope{All: true}

	get := func(l *Layer, s Scope, inm string) *Tile {
		t.Helper()
		tl, err := svc.Tile(ctx, l, c, s, nil, inm)
		if err != nil {
			t.Fatal(err)
		}
		return tl
	}
	a := get(grids, all, "")
	b := get(grids, all, "")
	if st.renders != 1 || string(a.Data) != string(b.Data) || a.ETag != b.ETag {
		t.Fatalf("second request rendered again (%d renders) or differs", st.renders)
	}
	if !strings.HasSuffix(string(a.Data), "2026-11-21") {
		t.Errorf("day in Shanghai: %s", a.Data)
	}
	if nm := get(grids, all, `W/"x", `+a.ETag); !nm.NotModified || nm.Data != nil || st.renders != 1 {
		t.Errorf("If-None-Match: %+v", nm)
	}
	// A commit bumps the revision: the old entry is unreachable.
	st.revs["grids"] = "2"
	c2 := get(grids, all, a.ETag)
	if c2.NotModified || st.renders != 2 || c2.ETag == a.ETag || !strings.Contains(string(c2.Data), " 2 ") {
		t.Errorf("after a bump: renders %d, tile %q", st.renders, c2.Data)
	}
	// Scopes are cached apart, and passed to the store.
	w := get(grids, Scope{Roots: []string{"370114001001001"}}, "")
	if st.renders != 3 || w.ETag == c2.ETag || fmt.Sprint(st.scopes[2]) != "[370114001001001]" {
		t.Errorf("worker scope: renders %d, scope %v", st.renders, st.scopes[2])
	}
	get(grids, Scope{}, "")
	if st.scopes[3] == nil || len(st.scopes[3]) != 0 {
		t.Errorf("empty scope reached the store as %#v, want an empty non-nil list", st.scopes[3])
	}
	// Unscoped layers are shared by every reader and ignore grid revisions.
	z1 := get(zones, all, "")
	z2 := get(zones, Scope{Roots: []string{"x"}}, "")
	st.revs["grids"] = "3"
	z3 := get(zones, all, "")
	if st.renders != 5 || z1.ETag != z2.ETag || z1.ETag != z3.ETag || st.scopes[4] != nil {
		t.Errorf("zones: renders %d, etags %s %s %s", st.renders, z1.ETag, z2.ETag, z3.ETag)
	}
	// Daily layers change at midnight in Shanghai.
	before := get(grids, all, "")
	now = now.Add(17 * time.Hour) // 00:00 on the 22nd in Shanghai
	after := get(grids, all, "")
	if before.ETag == after.ETag || !strings.HasSuffix(string(after.Data), "2026-11-22") {
		t.Errorf("day change: %q", after.Data)
	}
	hits, misses, n := svc.Cache.Stats()
	if hits != 3 || misses != 7 || n != 7 {
		t.Errorf("cache stats: hits %d misses %d entries %d", hits, misses, n)
	}
	// Without a cache every request renders.
	svc.Cache = nil
	r0 := st.renders
	get(grids, all, "")
	get(grids, all, "")
	if st.renders != r0+2 {
		t.Errorf("uncached: %d renders, want 2", st.renders-r0)
	}
}

func TestCacheEvicts(t *testing.T) {
	c := NewCache(2)
	c.add("a", []byte("1"))
	c.add("b", []byte("2"))
	c.get("a")
	c.add("c", []byte("3"))
	if _, ok := c.get("b"); ok {
		t.Error("least recently used entry kept")
	}
	if _, ok := c.get("a"); !ok {
		t.Error("recently used entry evicted")
	}
}

// slowStore renders after release is closed, failing when its context ends.
type slowStore struct {
	fakeStore
	started chan struct{}
	release chan struct{}
}

func (s *slowStore) Tile(ctx context.Context, q TileQuery) ([]byte, error) {
	close(s.started)
	select {
	case <-s.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.fakeStore.Tile(ctx, q)
}

// TestSharedRenderOutlivesFirstCaller: two requests for one tile share one
// render; the first caller giving up (a map pan) fails only itself, and the
// second still gets the tile.
func TestSharedRenderOutlivesFirstCaller(t *testing.T) {
	st := &slowStore{fakeStore: fakeStore{revs: map[string]string{"grids": "1", "assignments": "1"}}, started: make(chan struct{}), release: make(chan struct{})}
	reg, _ := NewRegistry(nil, Builtin()...)
	svc := &Service{Registry: reg, Store: st, Cache: NewCache(10), Now: time.Now, Location: time.UTC}
	grids, _ := reg.Layer("grids")
	c := Coord{14, 13540, 6394}
	first, cancel := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() {
		_, err := svc.Tile(first, grids, c, Scope{All: true}, nil, "")
		firstErr <- err
	}()
	<-st.started
	second := make(chan error, 1)
	var got *Tile
	go func() {
		var err error
		got, err = svc.Tile(context.Background(), grids, c, Scope{All: true}, nil, "")
		second <- err
	}()
	time.Sleep(50 * time.Millisecond) // let the second caller join the flight
	cancel()
	if err := <-firstErr; err == nil {
		t.Error("the cancelled caller got a tile")
	}
	close(st.release)
	if err := <-second; err != nil {
		t.Fatalf("the waiting caller failed with the first caller's cancellation: %v", err)
	}
	if len(got.Data) == 0 || st.renders != 1 {
		t.Fatalf("tile %q after %d renders, want one shared render", got.Data, st.renders)
	}
}

// snapshotStore renders the grids layer from a snapshot, as Stores does.
type snapshotStore struct {
	*fakeStore
	grids *Snapshot
}

func (s snapshotStore) snapshot(layer string) *Snapshot {
	if layer == "grids" {
		return s.grids
	}
	return nil
}

func (s snapshotStore) Tile(ctx context.Context, q TileQuery) ([]byte, error) {
	if q.Layer == "grids" {
		return s.grids.Tile(ctx, q)
	}
	return s.fakeStore.Tile(ctx, q)
}

// TestServiceWarm: Warm loads the grids snapshot at the version the first
// tile asks for, so that tile does not load it again; a later revision
// still does; a failed load is Warm's error.
func TestServiceWarm(t *testing.T) {
	feats, _ := tessellationFeatures()
	loads := 0
	var fail error
	sn := &Snapshot{Layer: "grids", Load: func(context.Context, time.Time) ([]SnapshotFeature, error) {
		loads++
		return feats[:500], fail
	}}
	st := snapshotStore{&fakeStore{revs: map[string]string{"grids": "1", "assignments": "1", "zones": "1"}}, sn}
	reg, _ := NewRegistry(nil, Builtin()...)
	now := time.Date(2026, 11, 20, 23, 0, 0, 0, time.UTC)
	svc := &Service{Registry: reg, Store: st, Cache: NewCache(100), Now: func() time.Time { return now }, Location: time.FixedZone("CST", 8*3600)}
	ctx := context.Background()
	if err := svc.Warm(ctx); err != nil || loads != 1 {
		t.Fatalf("Warm: %v, %d loads", err, loads)
	}
	grids, _ := reg.Layer("grids")
	if _, err := svc.Tile(ctx, grids, Coord{14, 13533, 6368}, Scope{All: true}, nil, ""); err != nil || loads != 1 {
		t.Fatalf("the first tile after Warm: %v, %d loads (want 1: no reload)", err, loads)
	}
	st.revs["grids"] = "2"
	if _, err := svc.Tile(ctx, grids, Coord{14, 13533, 6368}, Scope{All: true}, nil, ""); err != nil || loads != 2 {
		t.Fatalf("after a revision: %v, %d loads (want 2)", err, loads)
	}
	fail = fmt.Errorf("database away")
	st.revs["grids"] = "3"
	if err := svc.Warm(ctx); err == nil || !strings.Contains(err.Error(), "database away") {
		t.Fatalf("Warm with a failing load: %v", err)
	}
}
