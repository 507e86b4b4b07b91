package tiles

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/simplify"
)

// orbTile is the snapshot renderer as it was before mvtLayer: the same
// projection, clipping and simplification, each ring in its own
// allocation, encoded by orb's mvt.Marshal — the oracle of the tests below.
func orbTile(s *Snapshot, q TileQuery) ([]byte, error) {
	sn, err := s.get(context.Background(), q.Version, q.Day)
	if err != nil {
		return nil, err
	}
	pr := newTileProjection(q.Coord)
	roots := map[string]bool{}
	for _, c := range q.Scope {
		roots[c] = true
	}
	box := orb.Bound{Min: orb.Point{-tileBuffer, -tileBuffer}, Max: orb.Point{4096 + tileBuffer, 4096 + tileBuffer}}
	var out []*geojson.Feature
	for _, i := range sn.index.query(pr.bound(tileBuffer), sn.bounds) {
		f := &sn.feats[i]
		if q.Scope != nil {
			in := false
			for _, c := range f.Codes {
				in = in || roots[c]
			}
			if !in {
				continue
			}
		}
		g, gb := pr.project(f.Geometry, new([]orb.Point))
		if !box.Intersects(gb) {
			continue
		}
		if !box.Contains(gb.Min) || !box.Contains(gb.Max) {
			if g = clip.Geometry(box, g); g == nil {
				continue
			}
		}
		if g = dropDegenerate(simplify.DouglasPeucker(1).Simplify(g)); g == nil {
			continue
		}
		out = append(out, &geojson.Feature{Geometry: orientForMVT(g), Properties: f.Attrs.Properties()})
	}
	if len(out) == 0 {
		return []byte{}, nil
	}
	return mvt.Marshal(mvt.Layers{{Name: s.Layer, Version: 2, Extent: 4096, Features: out}})
}

// sameTile fails unless a and b decode to the same layers: names,
// versions, extents, and features in order with equal geometry and
// properties.
func sameTile(t *testing.T, what string, a, b []byte) int {
	t.Helper()
	if len(a) == 0 || len(b) == 0 {
		if len(a) != len(b) {
			t.Fatalf("%s: %d bytes, orb %d", what, len(a), len(b))
		}
		return 0
	}
	la, err := mvt.Unmarshal(a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	lb, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatalf("%s (orb): %v", what, err)
	}
	if len(la) != 1 || len(lb) != 1 {
		t.Fatalf("%s: %d layers, orb %d", what, len(la), len(lb))
	}
	x, y := la[0], lb[0]
	if x.Name != y.Name || x.Version != y.Version || x.Extent != y.Extent || len(x.Features) != len(y.Features) {
		t.Fatalf("%s: layer %s v%d extent %d, %d features; orb %s v%d extent %d, %d features",
			what, x.Name, x.Version, x.Extent, len(x.Features), y.Name, y.Version, y.Extent, len(y.Features))
	}
	for i := range x.Features {
		if !orb.Equal(x.Features[i].Geometry, y.Features[i].Geometry) {
			t.Fatalf("%s feature %d: geometry %v, orb %v", what, i, x.Features[i].Geometry, y.Features[i].Geometry)
		}
		if !reflect.DeepEqual(x.Features[i].Properties, y.Features[i].Properties) {
			t.Fatalf("%s feature %d: properties %v, orb %v", what, i, x.Features[i].Properties, y.Features[i].Properties)
		}
	}
	return len(x.Features)
}

// TestSnapshotTileMatchesOrb renders tiles of a 20k-grid tessellation at
// z10–z17, with and without a reader scope, and compares each with the
// oracle (orbTile): mvtLayer and the point arena change how a tile is
// built, not what it holds.
func TestSnapshotTileMatchesOrb(t *testing.T) {
	feats, bound := tessellationFeatures()
	s := &Snapshot{Layer: "grids", Load: func(context.Context, time.Time) ([]SnapshotFeature, error) { return feats, nil }}
	tiles, features := 0, 0
	for z := maptile.Zoom(10); z <= 17; z++ {
		a, b := maptile.At(orb.Point{bound.Min[0], bound.Max[1]}, z), maptile.At(orb.Point{bound.Max[0], bound.Min[1]}, z)
		step := max(1, (b.X-a.X+1)*(b.Y-a.Y+1)/150)
		k := uint32(0)
		for x := a.X; x <= b.X; x++ {
			for y := a.Y; y <= b.Y; y++ {
				if k++; k%step != 0 {
					continue
				}
				for _, scope := range [][]string{nil, {"parent3"}, {}} {
					q := TileQuery{Layer: "grids", Coord: Coord{Z: int(z), X: int(x), Y: int(y)}, Scope: scope, Version: "v1"}
					got, err := s.Tile(context.Background(), q)
					if err != nil {
						t.Fatal(err)
					}
					want, err := orbTile(s, q)
					if err != nil {
						t.Fatal(err)
					}
					features += sameTile(t, fmt.Sprintf("tile %v scope %v", q.Coord, scope), got, want)
					tiles++
				}
			}
		}
	}
	t.Logf("%d tiles, %d features compared", tiles, features)
	if features < 10000 {
		t.Fatalf("only %d features compared", features)
	}
}

// TestMVTLayerGeometries: every geometry kind the renderer can hand the
// encoder (points, lines, polygons with holes, multi-polygons), attributes
// repeated across features and none at all, decode as orb's encoding of
// the same features does.
func TestMVTLayerGeometries(t *testing.T) {
	sq := func(x, y, s float64) orb.Ring {
		return orb.Ring{{x, y}, {x + s, y}, {x + s, y + s}, {x, y + s}, {x, y}}
	}
	hole := orb.Ring{{12, 12}, {12, 18}, {18, 18}, {18, 12}, {12, 12}}
	feats := []struct {
		g     orb.Geometry
		attrs Attrs
	}{
		{orb.Point{5, -7}, Attrs{StringAttr("name", "点"), IntAttr("n", -3)}},
		{orb.LineString{{0, 0}, {100, 50}, {-20, 4200}}, Attrs{StringAttr("name", "线"), IntAttr("n", 1<<40)}},
		{orb.MultiLineString{{{1, 1}, {2, 2}}, {{3, 3}, {3, 9}, {9, 9}}}, Attrs{StringAttr("name", "点"), IntAttr("n", -3)}},
		{orb.Polygon{sq(10, 10, 10), hole}, nil},
		{orb.MultiPolygon{{sq(0, 0, 5)}, {sq(100, 100, 4000), hole}}, Attrs{StringAttr("empty", ""), IntAttr("zero", 0)}},
		{orb.Polygon{{{0, 0}, {10, 0}, {10, 10}, {0, 0}}}, Attrs{StringAttr("n", "a string under a key that held integers")}},
	}
	enc := newMVTLayer()
	var want []*geojson.Feature
	for _, f := range feats {
		enc.add(f.g, f.attrs)
		want = append(want, &geojson.Feature{Geometry: f.g, Properties: f.attrs.Properties()})
	}
	got := enc.marshal("mixed")
	enc.release()
	orbBytes, err := mvt.Marshal(mvt.Layers{{Name: "mixed", Version: 2, Extent: 4096, Features: want}})
	if err != nil {
		t.Fatal(err)
	}
	if n := sameTile(t, "mixed layer", got, orbBytes); n != len(feats) {
		t.Fatalf("%d features decoded, want %d", n, len(feats))
	}
	// A released layer starts empty: no key, value or feature of the last.
	enc = newMVTLayer()
	defer enc.release()
	if b := enc.marshal("empty"); len(b) != 0 {
		t.Fatalf("an empty layer marshals to %d bytes", len(b))
	}
	enc.add(orb.Point{1, 1}, Attrs{IntAttr("only", 1)})
	ls, err := mvt.Unmarshal(enc.marshal("one"))
	if err != nil || len(ls) != 1 || len(ls[0].Features) != 1 || len(ls[0].Features[0].Properties) != 1 {
		t.Fatalf("the reused layer: %v %v", ls, err)
	}
}
