package registry

import (
	"github.com/gridd/gridd/spatial/validity"

	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// Local coordinates: x, y in units of 0.001° from (116.40, 39.90) in Beijing.
func lp(x, y float64) orb.Point { return orb.Point{116.40 + x/1000, 39.90 + y/1000} }

func lring(pts ...[2]float64) orb.Ring {
	r := make(orb.Ring, len(pts))
	for i, p := range pts {
		r[i] = lp(p[0], p[1])
	}
	return r
}

// lsq is the counter-clockwise square [x0,x1]×[y0,y1], closed.
func lsq(x0, y0, x1, y1 float64) orb.Ring {
	return lring([2]float64{x0, y0}, [2]float64{x1, y0}, [2]float64{x1, y1}, [2]float64{x0, y1}, [2]float64{x0, y0})
}

func reversed(r orb.Ring) orb.Ring {
	c := r.Clone()
	c.Reverse()
	return c
}

func TestValidateGeometry(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name      string
		geom      orb.MultiPolygon
		lim       Limits
		reason    string // "" = valid
		detailHas string
	}{
		{"valid square", orb.MultiPolygon{{lsq(0, 0, 10, 10)}}, Limits{}, "", ""},
		{"NaN", orb.MultiPolygon{{orb.Ring{{116.4, 39.9}, {nan, 39.9}, {116.41, 39.91}, {116.4, 39.9}}}}, Limits{}, "non_finite", "position 1"},
		{"+Inf", orb.MultiPolygon{{orb.Ring{{116.4, 39.9}, {116.41, math.Inf(1)}, {116.41, 39.91}, {116.4, 39.9}}}}, Limits{}, "non_finite", "finite"},
		{"nil", nil, Limits{}, "empty_geometry", ""},
		{"polygon without rings", orb.MultiPolygon{{}}, Limits{}, "empty_geometry", ""},
		{"empty ring", orb.MultiPolygon{{orb.Ring{}}}, Limits{}, "ring_too_short", "0 positions"},
		{"unclosed", orb.MultiPolygon{{lsq(0, 0, 10, 10)[:4]}}, Limits{}, "ring_not_closed", "exterior ring"},
		{"3 positions", orb.MultiPolygon{{lring([2]float64{0, 0}, [2]float64{1, 0}, [2]float64{0, 0})}}, Limits{}, "ring_too_short", "3 positions"},
		{"too short after dedupe", orb.MultiPolygon{{lring([2]float64{0, 0}, [2]float64{1, 0}, [2]float64{1, 0}, [2]float64{0, 0})}}, Limits{}, "ring_too_short", "distinct"},
		{"unclosed hole", orb.MultiPolygon{{lsq(0, 0, 10, 10), lsq(2, 2, 4, 4)[:4]}}, Limits{}, "ring_not_closed", "hole 1"},
		{"vertex cap", orb.MultiPolygon{{lsq(0, 0, 10, 10), lsq(2, 2, 4, 4)}}, Limits{MaxVertices: 9}, "too_many_vertices", "10 positions"},
		{"lat/lon swapped", orb.MultiPolygon{{orb.Ring{{39.9, 116.4}, {39.9, 116.41}, {39.91, 116.41}, {39.9, 116.4}}}}, Limits{}, "lat_lon_swapped", "[longitude, latitude]"},
		{"outside China", orb.MultiPolygon{{orb.Ring{{-74, 40.7}, {-73.9, 40.7}, {-73.9, 40.8}, {-74, 40.7}}}}, Limits{}, "outside_china", "longitude 73..136"},
		{"projected metres", orb.MultiPolygon{{orb.Ring{{12958000, 4852000}, {12959000, 4852000}, {12959000, 4853000}, {12958000, 4852000}}}}, Limits{}, "outside_china", ""},
		{"collinear ring", orb.MultiPolygon{{lring([2]float64{0, 0}, [2]float64{1, 0}, [2]float64{2, 0}, [2]float64{0, 0})}}, Limits{}, "degenerate_ring", "no area"},
		{"bow-tie", orb.MultiPolygon{{lring([2]float64{0, 0}, [2]float64{10, 10}, [2]float64{10, 0}, [2]float64{0, 10}, [2]float64{0, 0})}}, Limits{}, "self_intersection", "(116.405000, 39.905000)"},
		{"spike", orb.MultiPolygon{{lring([2]float64{0, 0}, [2]float64{10, 0}, [2]float64{10, 10}, [2]float64{10, 15}, [2]float64{10, 10}, [2]float64{0, 10}, [2]float64{0, 0})}}, Limits{}, "self_intersection", "itself"},
		{"ring touching itself", orb.MultiPolygon{{lring([2]float64{0, 0}, [2]float64{10, 0}, [2]float64{5, 5}, [2]float64{10, 10}, [2]float64{0, 10}, [2]float64{5, 5}, [2]float64{0, 0})}}, Limits{}, "self_intersection", "touches itself"},
		{"hole crossing exterior", orb.MultiPolygon{{lsq(0, 0, 10, 10), reversed(lsq(5, 5, 15, 8))}}, Limits{}, "self_intersection", "polygon 0 hole 1"},
		{"hole sharing an edge", orb.MultiPolygon{{lsq(0, 0, 10, 10), reversed(lsq(0, 2, 4, 4))}}, Limits{}, "self_intersection", "overlaps"},
		{"hole crossing through vertices", orb.MultiPolygon{{lsq(0, 0, 10, 10),
			lring([2]float64{5, 0}, [2]float64{5, -3}, [2]float64{8, -3}, [2]float64{8, 0}, [2]float64{8, 3}, [2]float64{5, 3}, [2]float64{5, 0})}}, Limits{}, "self_intersection", "crosses"},
		{"hole touching exterior at a point", orb.MultiPolygon{{lsq(0, 0, 10, 10), lring([2]float64{5, 0}, [2]float64{3, 3}, [2]float64{7, 3}, [2]float64{5, 0})}}, Limits{}, "", ""},
		{"hole outside", orb.MultiPolygon{{lsq(0, 0, 10, 10), lsq(20, 20, 22, 22)}}, Limits{}, "hole_outside_shell", "hole 1"},
		{"nested holes", orb.MultiPolygon{{lsq(0, 0, 10, 10), lsq(1, 1, 9, 9), lsq(3, 3, 5, 5)}}, Limits{}, "nested_hole", "hole 2 lies inside"},
		{"polygons crossing", orb.MultiPolygon{{lsq(0, 0, 10, 10)}, {lsq(5, 5, 15, 15)}}, Limits{}, "self_intersection", "polygon 1"},
		{"polygon inside polygon", orb.MultiPolygon{{lsq(0, 0, 10, 10)}, {lsq(2, 2, 4, 4)}}, Limits{}, "overlapping_polygons", "polygon 1 lies inside polygon 0"},
		{"polygon in a hole", orb.MultiPolygon{{lsq(0, 0, 10, 10), lsq(2, 2, 8, 8)}, {lsq(3, 3, 5, 5)}}, Limits{}, "", ""},
		{"polygons touching at a corner", orb.MultiPolygon{{lsq(0, 0, 10, 10)}, {lsq(10, 10, 20, 20)}}, Limits{}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := fmt.Sprint(tc.geom)
			out, ps := ValidateGeometry(tc.geom, tc.lim)
			if fmt.Sprint(tc.geom) != before {
				t.Errorf("the input was modified")
			}
			if tc.reason == "" {
				if len(ps) != 0 {
					t.Fatalf("unexpected problems: %+v", ps)
				}
				if out == nil {
					t.Fatal("no geometry returned")
				}
				return
			}
			if out != nil {
				t.Errorf("invalid geometry returned %v", out)
			}
			if len(ps) == 0 {
				t.Fatalf("no problem, want %s", tc.reason)
			}
			p := ps[0]
			if p.Reason != tc.reason || p.Field != "geometry" || p.Index != nil {
				t.Errorf("problem %+v, want reason %s on field geometry", p, tc.reason)
			}
			if !strings.Contains(p.Detail, tc.detailHas) {
				t.Errorf("detail %q does not mention %q", p.Detail, tc.detailHas)
			}
		})
	}
}

func TestValidateGeometryNormalises(t *testing.T) {
	ext := reversed(lsq(0, 0, 10, 10)) // clockwise
	ext = append(ext[:2], append(orb.Ring{ext[1]}, ext[2:]...)...)
	hole := lsq(2, 2, 4, 4) // counter-clockwise
	out, ps := ValidateGeometry(orb.MultiPolygon{{ext, hole}, {reversed(lsq(20, 0, 30, 10))}}, Limits{})
	if len(ps) != 0 {
		t.Fatalf("problems: %+v", ps)
	}
	if out[0][0].Orientation() != orb.CCW || out[1][0].Orientation() != orb.CCW {
		t.Error("exterior rings must be counter-clockwise")
	}
	if out[0][1].Orientation() != orb.CW {
		t.Error("holes must be clockwise")
	}
	if len(out[0][0]) != 5 {
		t.Errorf("repeated position not removed: %v", out[0][0])
	}
	if !out[0][0].Closed() || !out[0][1].Closed() {
		t.Error("rings must stay closed")
	}
}

func TestValidateGeometryVertexCapDefault(t *testing.T) {
	circle := func(n int) orb.Ring { // n positions, closed
		r := make(orb.Ring, 0, n)
		for i := 0; i < n-1; i++ {
			a := 2 * math.Pi * float64(i) / float64(n-1)
			r = append(r, orb.Point{116.4 + 0.01*math.Cos(a), 39.9 + 0.01*math.Sin(a)})
		}
		return append(r, r[0])
	}
	if _, ps := ValidateGeometry(orb.MultiPolygon{{circle(DefaultMaxVertices)}}, Limits{}); len(ps) != 0 {
		t.Fatalf("a %d-position circle must pass the default cap: %+v", DefaultMaxVertices, ps)
	}
	if _, ps := ValidateGeometry(orb.MultiPolygon{{circle(DefaultMaxVertices + 1)}}, Limits{}); len(ps) != 1 || ps[0].Reason != "too_many_vertices" {
		t.Fatalf("want too_many_vertices, got %+v", ps)
	}
}

func TestValidateFeatures(t *testing.T) {
	sq := orb.MultiPolygon{{lsq(0, 0, 10, 10)}}
	fs := []Feature{
		{Index: 0, Code: "110101001001000", Name: "社区", Level: 2, ParentCode: "110101001000000", Geometry: sq},
		{Index: 1, Code: " 110101001001001 ", Name: " 网格 ", Level: 3, ParentCode: "110101001001000", Geometry: orb.MultiPolygon{{reversed(lsq(0, 0, 5, 5))}}},
		{Index: 2, Code: "110101001001001", Name: "重复", Level: 3, ParentCode: "110101001001000", Geometry: sq},
		{Index: 3, Code: "110101001001002", Name: "错层", Level: 3, ParentCode: "110101001000000", Geometry: sq},
		{Index: 4, Code: "", Name: "待编号", Level: 3, ParentCode: "110101001001000", Geometry: sq},
		{Index: 5, Code: "110101001001003", Name: "x", Level: 0, Geometry: sq},
		{Index: 6, Code: "110101001001004", Name: "y", Level: 3, ParentCode: "11010100100100", Geometry: sq},
		{Index: 7, Code: "110101001002001", Name: "z", Level: 3, ParentCode: "110101001001000", Geometry: sq},
	}
	out, ps := ValidateFeatures(fs, Limits{})
	var got []string
	for _, p := range ps {
		got = append(got, p.Field+" "+p.Reason+" "+p.Code)
		if p.Index == nil || !strings.HasPrefix(p.Field, "features[") {
			t.Errorf("problem without index or feature field: %+v", p)
		}
	}
	want := []string{
		"features[2].code duplicate_code 110101001001001",
		// The parent 110101001000000 is not in the import, so it is assumed to be level 2.
		"features[3].parent_code invalid_code 110101001001002",
		"features[5].level invalid_level 110101001001003",
		"features[6].parent_code invalid_code 110101001001004",
		"features[7].parent_code code_parent_mismatch 110101001002001",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if out[1].Code != "110101001001001" || out[1].Name != "网格" {
		t.Errorf("code and name must be trimmed: %+v", out[1])
	}
	if out[1].Geometry[0][0].Orientation() != orb.CCW {
		t.Error("geometry must be normalised")
	}
	if len(out) != len(fs) {
		t.Errorf("got %d features back, want %d", len(out), len(fs))
	}
}

func TestValidateFeaturesParentLevelFromImport(t *testing.T) {
	sq := orb.MultiPolygon{{lsq(0, 0, 10, 10)}}
	fs := []Feature{
		{Index: 0, Code: "110101001000000", Name: "街道", Level: 1, ParentCode: "110101", Geometry: sq},
		// The parent is in the import and is level 1, so a level-3 child mismatches.
		{Index: 1, Code: "110101001001001", Name: "网格", Level: 3, ParentCode: "110101001000000", Geometry: sq},
	}
	_, ps := ValidateFeatures(fs, Limits{})
	if len(ps) != 1 || ps[0].Reason != "code_parent_mismatch" || problemIndex(ps[0]) != 1 {
		t.Fatalf("problems %+v, want one code_parent_mismatch on feature 1", ps)
	}
}

func TestProblemsError(t *testing.T) {
	if ProblemsError(nil) != nil {
		t.Error("no problems must give no error")
	}
	err := ProblemsError([]Problem{newProblem("features[0].name", 0, "", "name_required", "x")})
	if err == nil || !strings.Contains(err.Error(), "1 problem") {
		t.Errorf("err = %v", err)
	}
}

func TestValidateGeometryTooComplex(t *testing.T) {
	// A zigzag of long slanted edges side by side: every pair of edges has
	// overlapping bounding boxes, the worst case of the sweep.
	zigzag := func(n int) orb.Ring {
		r := orb.Ring{}
		for i := 0; i < n; i++ {
			y := 39.9 + float64(i)*0.00002
			if i%2 == 0 {
				r = append(r, orb.Point{116.0, y}, orb.Point{116.5, y + 0.5})
			} else {
				r = append(r, orb.Point{116.5, y + 0.5}, orb.Point{116.0, y})
			}
		}
		top := r[len(r)-1]
		return append(r, orb.Point{top[0] - 0.1, top[1]}, orb.Point{115.9, 39.9}, r[0])
	}
	if _, ps := ValidateGeometry(orb.MultiPolygon{{zigzag(100)}}, Limits{}); len(ps) != 0 {
		t.Fatalf("a small zigzag is valid: %+v", ps)
	}
	defer func(b int) { validity.SweepBudget = b }(validity.SweepBudget)
	validity.SweepBudget = 100_000
	_, ps := ValidateGeometry(orb.MultiPolygon{{zigzag(400)}}, Limits{})
	if len(ps) != 1 || ps[0].Reason != "too_complex" {
		t.Fatalf("want too_complex, got %+v", ps)
	}
}
