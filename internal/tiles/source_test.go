package tiles

import (
	"context"
	"fmt"
	"testing"

	"github.com/gridd/gridd/internal/errs"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
)

// squares is a Go layer of n×n squares of side 0.001° from (117.5, 36.7),
// each the bound it was asked for recorded.
type squares struct {
	n     int
	asked []*orb.Bound
}

func (s *squares) find(_ context.Context, q SourceQuery) ([]*geojson.Feature, error) {
	s.asked = append(s.asked, q.Bound)
	var out []*geojson.Feature
	for i := range s.n {
		for j := range s.n {
			x, y := 117.5+float64(i)*0.001, 36.7+float64(j)*0.001
			b := orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + 0.001, y + 0.001}}
			if q.Bound != nil && !q.Bound.Intersects(b) {
				continue
			}
			f := geojson.NewFeature(b.ToPolygon())
			f.ID = fmt.Sprintf("sq%03d", i*s.n+j)
			f.Properties = geojson.Properties{"i": i, "j": j, "tag": q.Params["tag"]}
			out = append(out, f)
		}
	}
	return out, nil
}

func TestStoresGoLayer(t *testing.T) {
	sq := &squares{n: 10}
	st := &Stores{SQL: nil, Go: map[string]FindFunc{"squares": sq.find}}
	ctx := context.Background()
	// A z16 tile inside the squares: every feature clipped to the buffered
	// tile, the bound asked for is the tile's plus the buffer.
	tl := maptile.At(orb.Point{117.5042, 36.7042}, 16)
	b, err := st.Tile(ctx, TileQuery{Layer: "squares", Coord: Coord{Z: 16, X: int(tl.X), Y: int(tl.Y)}, Params: Params{"tag": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	ls, err := mvt.Unmarshal(b)
	if err != nil || len(ls) != 1 || ls[0].Name != "squares" || ls[0].Extent != 4096 {
		t.Fatalf("tile: %v %v", ls, err)
	}
	if len(ls[0].Features) == 0 {
		t.Fatal("no features in the tile")
	}
	for _, f := range ls[0].Features {
		fb := f.Geometry.Bound()
		if fb.Min[0] < -64 || fb.Min[1] < -64 || fb.Max[0] > 4160 || fb.Max[1] > 4160 {
			t.Errorf("feature %v not clipped to the buffer: %v", f.Properties, fb)
		}
		if f.Properties.MustString("tag", "") != "x" {
			t.Errorf("params not passed: %v", f.Properties)
		}
	}
	want := tl.Bound(64.0 / 4096)
	if got := sq.asked[len(sq.asked)-1]; got == nil || *got != want {
		t.Errorf("asked for %v, want the buffered tile %v", got, want)
	}
	// A tile away from every square is empty.
	far := maptile.At(orb.Point{100, 20}, 16)
	if b, err := st.Tile(ctx, TileQuery{Layer: "squares", Coord: Coord{Z: 16, X: int(far.X), Y: int(far.Y)}}); err != nil || len(b) != 0 {
		t.Errorf("empty tile: %d bytes, %v", len(b), err)
	}

	// Features: sorted by ID, paged, matched counted; one by ID.
	page, matched, err := st.Features(ctx, FeatureQuery{Layer: "squares", Limit: 30, Offset: 90})
	if err != nil || matched != 100 || len(page) != 10 || page[0].ID != "sq090" || page[9].ID != "sq099" {
		t.Fatalf("page: %d features from %v, %d matched, %v", len(page), page, matched, err)
	}
	f, err := st.Feature(ctx, FeatureQuery{Layer: "squares"}, "sq042")
	if err != nil || f.ID != "sq042" || string(f.Properties) != `{"i":4,"j":2,"tag":""}` {
		t.Errorf("feature sq042: %+v %v", f, err)
	}
	if _, err := st.Feature(ctx, FeatureQuery{Layer: "squares"}, "nope"); !errs.Is(err, errs.NotFound) {
		t.Errorf("missing feature: %v", err)
	}
}

func TestLayerParams(t *testing.T) {
	l := &Layer{Name: "x", Params: []Param{{Name: "month", Check: func(v string) error {
		if len(v) != 7 {
			return errs.Invalidf("month", "invalid_month", "want YYYY-MM")
		}
		return nil
	}}}}
	q := map[string]string{"month": "2026-03", "other": "ignored"}
	p, err := l.ParamsFrom(func(k string) string { return q[k] })
	if err != nil || len(p) != 1 || p["month"] != "2026-03" {
		t.Errorf("params %v %v", p, err)
	}
	if p.key() != "|month=2026-03" || (Params{}).key() != "" {
		t.Errorf("keys %q", p.key())
	}
	q["month"] = "2026-3"
	if _, err := l.ParamsFrom(func(k string) string { return q[k] }); !errs.Is(err, errs.Invalid) {
		t.Errorf("bad month: %v", err)
	}
	for _, ps := range [][]Param{{{Name: "bbox"}}, {{Name: "a"}, {Name: "a"}}, {{Name: ""}}} {
		if _, err := NewRegistry(nil, Layer{Name: "y", Revisions: []string{"r"}, MaxZoom: 1, Params: ps}); err == nil {
			t.Errorf("params %v accepted", ps)
		}
	}
}
