package tiles

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// TestBucketIndexAgreesWithScan: the bucket index returns exactly the
// features whose bounds meet the query, for random features of mixed
// sizes (a few spanning much of the extent) and random windows.
func TestBucketIndexAgreesWithScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	var bounds []orb.Bound
	for i := range 3000 {
		w := rng.Float64() * 0.01
		if i%500 == 0 {
			w = 0.3
		}
		x, y := 117+rng.Float64(), 36+rng.Float64()
		bounds = append(bounds, orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + w, y + w*0.8}})
	}
	ix := newBucketIndex(bounds)
	for range 500 {
		w := rng.Float64() * 0.2
		x, y := 116.9+rng.Float64()*1.2, 35.9+rng.Float64()*1.2
		q := orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + w, y + w}}
		var want []int
		for i, b := range bounds {
			if b.Intersects(q) {
				want = append(want, i)
			}
		}
		if got := ix.query(q, bounds); !slices.Equal(got, want) {
			t.Fatalf("query %v: %d features, scan %d", q, len(got), len(want))
		}
	}
	if got := newBucketIndex(nil).query(bounds[0], nil); got != nil {
		t.Errorf("empty index: %v", got)
	}
}

// TestTileProjection: the projection agrees with orb's tile maths at the
// tile corners, and bound() is the tile's bound grown by the buffer.
func TestTileProjection(t *testing.T) {
	tl := maptile.At(orb.Point{117.53, 36.70}, 15)
	p := newTileProjection(Coord{Z: 15, X: int(tl.X), Y: int(tl.Y)})
	b := tl.Bound()
	if got := p.point(orb.Point{b.Min[0], b.Max[1]}); got != (orb.Point{0, 0}) {
		t.Errorf("north-west corner at %v, want 0,0", got)
	}
	if got := p.point(orb.Point{b.Max[0], b.Min[1]}); got != (orb.Point{4096, 4096}) {
		t.Errorf("south-east corner at %v, want 4096,4096", got)
	}
	want := tl.Bound(64.0 / 4096)
	got := p.bound(64)
	for i := range 2 {
		if d := got.Min[i] - want.Min[i]; d > 1e-9 || d < -1e-9 {
			t.Errorf("bound %v, want %v", got, want)
		}
		if d := got.Max[i] - want.Max[i]; d > 1e-9 || d < -1e-9 {
			t.Errorf("bound %v, want %v", got, want)
		}
	}
}
