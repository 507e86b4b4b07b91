package demo

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
)

var write = flag.Bool("write", false, "TestWriteGeoJSON: write demo.geojson and demo.svg to os.TempDir")

// seeds covers a spread of seeds, so that the invariants are not a lucky draw.
var seeds = []int64{0, 1, 2, 3, 42, 2024, -7, math.MaxInt64}

// generated memoises Generate across tests (the towns are read-only there).
var generated sync.Map

func generate(seed int64) *Town {
	if t, ok := generated.Load(seed); ok {
		return t.(*Town)
	}
	t, _ := generated.LoadOrStore(seed, Generate(seed))
	return t.(*Town)
}

func forSeeds(t *testing.T, f func(t *testing.T, town *Town)) {
	for _, s := range seeds {
		t.Run(fmt.Sprint("seed", s), func(t *testing.T) { f(t, generate(s)) })
	}
}

func byCode(town *Town) map[string]Grid {
	m := map[string]Grid{}
	for _, g := range town.Grids {
		m[g.Code] = g
	}
	return m
}

func ringOf(g Grid) orb.Ring { return g.Geometry[0][0] }

func TestCountsAndTotals(t *testing.T) {
	forSeeds(t, func(t *testing.T, town *Town) {
		levels := map[int]int{}
		for _, g := range town.Grids {
			levels[g.Level]++
		}
		if levels[1] != 1 || levels[2] != 13 || levels[3] != 26 || len(town.Grids) != 40 {
			t.Fatalf("grids per level = %v, total %d; want 1/13/26", levels, len(town.Grids))
		}
		codes := byCode(town)
		sumH, sumP := map[string]int{}, map[string]int{}
		minH, maxH := math.MaxInt, 0
		for _, g := range town.Grids {
			if g.Level == 3 {
				if g.Households < 200 || g.Households > 360 {
					t.Errorf("%s: %d households, want 200..360", g.Code, g.Households)
				}
				if r := float64(g.Population) / float64(g.Households); r < 2.8 || r > 4.0 {
					t.Errorf("%s: %.2f people per household", g.Code, r)
				}
				minH, maxH = min(minH, g.Households), max(maxH, g.Households)
			}
			if g.ParentCode != "" {
				sumH[g.ParentCode] += g.Households
				sumP[g.ParentCode] += g.Population
			}
		}
		if maxH-minH < 40 {
			t.Errorf("households %d..%d: too uniform to be believable", minH, maxH)
		}
		for code, h := range sumH {
			if g := codes[code]; g.Households != h || g.Population != sumP[code] {
				t.Errorf("%s: %d households, %d people; children sum to %d, %d", code, g.Households, g.Population, h, sumP[code])
			}
		}
		if tw := town.Grids[0]; tw.Households != 7150 || tw.Population != 24280 {
			t.Errorf("town: %d households, %d people; want 7150, 24280", tw.Households, tw.Population)
		}
	})
}

func TestCodesAndNames(t *testing.T) {
	town := Generate(42)
	digits := regexp.MustCompile(`^\d{15}$`)
	seen := map[string]bool{}
	names := map[string]bool{}
	children := map[string][]Grid{}
	for i, g := range town.Grids {
		if !digits.MatchString(g.Code) {
			t.Errorf("code %q is not 15 digits", g.Code)
		}
		if seen[g.Code] || names[g.Name] {
			t.Errorf("duplicate code or name: %s %s", g.Code, g.Name)
		}
		seen[g.Code], names[g.Name] = true, true
		if i == 0 {
			if g.Code != "370114001000000" || g.Level != 1 || g.ParentCode != "" || g.Name != TownName {
				t.Errorf("town = %s %s level %d parent %q", g.Code, g.Name, g.Level, g.ParentCode)
			}
			continue
		}
		if !seen[g.ParentCode] {
			t.Errorf("%s: parent %q missing or listed after its child", g.Code, g.ParentCode)
		}
		children[g.ParentCode] = append(children[g.ParentCode], g)
	}
	// The meaningful part of a code is 9 digits at level 1, 12 at level 2, 15 at level 3; a child
	// extends its parent's meaningful part by one non-zero 3-digit segment numbered from 001.
	meaningful := map[int]int{1: 9, 2: 12, 3: 15}
	for parent, kids := range children {
		p := byCode(town)[parent]
		for i, g := range kids {
			if g.Level != p.Level+1 {
				t.Errorf("%s: level %d under level %d", g.Code, g.Level, p.Level)
			}
			n := meaningful[p.Level]
			want := p.Code[:n] + fmt.Sprintf("%03d", i+1) + strings.Repeat("0", 15-n-3)
			if g.Code != want {
				t.Errorf("child %d of %s: code %s, want %s", i, parent, g.Code, want)
			}
			if g.Level == 3 && g.Name != p.Name+[]string{"第一网格", "第二网格"}[i] {
				t.Errorf("%s: name %s", g.Code, g.Name)
			}
			if g.Level == 2 && !strings.HasSuffix(g.Name, "村") && !strings.HasSuffix(g.Name, "社区") {
				t.Errorf("%s: village name %s", g.Code, g.Name)
			}
		}
	}
	if len(children[TownCode]) != 13 {
		t.Errorf("town has %d villages", len(children[TownCode]))
	}
}

// ringProblems lists what makes r an invalid exterior ring: not closed, fewer than 4 positions,
// clockwise, a repeated vertex, a fold or self-intersection, coordinates off the 1e-7 grid.
func ringProblems(r orb.Ring) []string {
	var ps []string
	if len(r) < 4 {
		return []string{fmt.Sprintf("%d positions", len(r))}
	}
	if r[0] != r[len(r)-1] {
		ps = append(ps, "ring not closed")
	}
	if a := planarSignedArea(r); a <= 0 {
		ps = append(ps, fmt.Sprintf("signed area %g, want counter-clockwise", a))
	}
	seen := map[orb.Point]int{}
	for i, p := range r[:len(r)-1] {
		if j, ok := seen[p]; ok {
			ps = append(ps, fmt.Sprintf("vertex %v repeated at %d and %d", p, j, i))
		}
		seen[p] = i
		for _, v := range p {
			if math.Abs(v*1e7-math.Round(v*1e7)) > 1e-6 {
				ps = append(ps, fmt.Sprintf("coordinate %v not rounded to 1e-7", v))
			}
		}
	}
	n := len(r) - 1
	for k := range n {
		a, b, c := r[(k+n-1)%n], r[k], r[k+1]
		if cross(a, b, c) == 0 && (b[0]-a[0])*(c[0]-b[0])+(b[1]-a[1])*(c[1]-b[1]) < 0 {
			ps = append(ps, fmt.Sprintf("ring folds back at %v", b))
		}
	}
	// Non-adjacent segments must not touch at all.
	for i := 0; i < n; i++ {
		for j := i + 2; j < n; j++ {
			if i == 0 && j == n-1 {
				continue
			}
			if segmentsIntersect(r[i], r[i+1], r[j], r[j+1]) {
				ps = append(ps, fmt.Sprintf("segments %d and %d intersect", i, j))
			}
		}
	}
	return ps
}

func planarSignedArea(r orb.Ring) float64 {
	a := 0.0
	for i := 0; i+1 < len(r); i++ {
		a += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return a / 2
}

func cross(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

func onSegment(a, b, p orb.Point) bool {
	return min(a[0], b[0]) <= p[0] && p[0] <= max(a[0], b[0]) && min(a[1], b[1]) <= p[1] && p[1] <= max(a[1], b[1])
}

// segmentsIntersect reports whether segments ab and cd have any point in common.
func segmentsIntersect(a, b, c, d orb.Point) bool {
	d1, d2 := cross(c, d, a), cross(c, d, b)
	d3, d4 := cross(a, b, c), cross(a, b, d)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		return true
	}
	return (d1 == 0 && onSegment(c, d, a)) || (d2 == 0 && onSegment(c, d, b)) ||
		(d3 == 0 && onSegment(a, b, c)) || (d4 == 0 && onSegment(a, b, d))
}

// inside is the even-odd test.
func inside(p orb.Point, r orb.Ring) bool {
	in := false
	for i := 0; i+1 < len(r); i++ {
		a, b := r[i], r[i+1]
		if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < a[0]+(p[1]-a[1])*(b[0]-a[0])/(b[1]-a[1]) {
			in = !in
		}
	}
	return in
}

func segmentDistance(p, a, b orb.Point) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := ((p[0]-a[0])*dx + (p[1]-a[1])*dy) / (dx*dx + dy*dy)
	t = max(0, min(1, t))
	return math.Hypot(p[0]-a[0]-t*dx, p[1]-a[1]-t*dy)
}

func TestRings(t *testing.T) {
	forSeeds(t, func(t *testing.T, town *Town) {
		for _, g := range town.Grids {
			if len(g.Geometry) != 1 || len(g.Geometry[0]) != 1 {
				t.Errorf("%s: %d polygons, want one polygon without holes", g.Code, len(g.Geometry))
				continue
			}
			for _, p := range ringProblems(ringOf(g)) {
				t.Errorf("%s: %s", g.Code, p)
			}
		}
		if len(town.SeatArea) != 1 {
			t.Fatalf("seat area has %d rings", len(town.SeatArea))
		}
		for _, p := range ringProblems(town.SeatArea[0]) {
			t.Errorf("seat area: %s", p)
		}
	})
}

type edge [2]orb.Point

func undirectedEdge(a, b orb.Point) edge {
	if b[0] < a[0] || (b[0] == a[0] && b[1] < a[1]) {
		a, b = b, a
	}
	return edge{a, b}
}

// partitionProblems checks, edge by edge, that the children of every region cover it exactly
// and do not overlap: the undirected edges used by exactly one child are the parent's edges,
// every other child edge is used by exactly two children, in opposite directions (so the two lie
// on different sides of it), and no edge is used more than twice. Given rings that pass
// ringProblems, this rules out gaps and overlaps.
func partitionProblems(town *Town) []string {
	var ps []string
	kids := map[string][]Grid{}
	for _, g := range town.Grids {
		kids[g.ParentCode] = append(kids[g.ParentCode], g)
	}
	for _, p := range town.Grids {
		if len(kids[p.Code]) == 0 {
			continue
		}
		count := map[edge]int{}
		directed := map[edge]bool{}
		for _, c := range kids[p.Code] {
			r := ringOf(c)
			for i := 0; i+1 < len(r); i++ {
				count[undirectedEdge(r[i], r[i+1])]++
				if directed[edge{r[i], r[i+1]}] {
					ps = append(ps, fmt.Sprintf("%s: two children run along %v–%v in the same direction (overlap)", p.Code, r[i], r[i+1]))
				}
				directed[edge{r[i], r[i+1]}] = true
			}
		}
		parent := map[edge]bool{}
		r := ringOf(p)
		for i := 0; i+1 < len(r); i++ {
			parent[undirectedEdge(r[i], r[i+1])] = true
		}
		outer := 0
		for e, n := range count {
			switch {
			case n == 1:
				outer++
				if !parent[e] {
					ps = append(ps, fmt.Sprintf("%s: child edge %v used once but not on the parent boundary (gap or overlap)", p.Code, e))
				}
			case n == 2:
				if parent[e] {
					ps = append(ps, fmt.Sprintf("%s: parent edge %v used by two children", p.Code, e))
				}
			default:
				ps = append(ps, fmt.Sprintf("%s: edge %v used by %d children", p.Code, e, n))
			}
		}
		if outer != len(parent) {
			ps = append(ps, fmt.Sprintf("%s: children's outer edges %d, parent edges %d", p.Code, outer, len(parent)))
		}
	}
	slices.Sort(ps)
	return ps
}

func TestChildrenPartitionParent(t *testing.T) {
	forSeeds(t, func(t *testing.T, town *Town) {
		for _, p := range partitionProblems(town) {
			t.Error(p)
		}
	})
}

// TestCheckersCatchDefects makes sure the geometry checks above can fail.
func TestCheckersCatchDefects(t *testing.T) {
	square := orb.Ring{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}
	if ps := ringProblems(square); len(ps) != 0 {
		t.Errorf("valid square: %v", ps)
	}
	bad := map[string]orb.Ring{
		"clockwise": {{0, 0}, {0, 1}, {1, 1}, {1, 0}, {0, 0}},
		"open":      {{0, 0}, {1, 0}, {1, 1}, {0, 1}},
		"bow-tie":   {{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}},
		"repeated":  {{0, 0}, {1, 0}, {1, 1}, {1, 1}, {0, 1}, {0, 0}},
		"touching":  {{0, 0}, {2, 0}, {2, 2}, {1, 0}, {0, 2}, {0, 0}},
		"fold-back": {{0, 0}, {2, 0}, {1, 0}, {1, 1}, {0, 0}},
		"unrounded": {{0, 0}, {1, 0}, {1, 1.00000001}, {0, 1}, {0, 0}},
		"too short": {{0, 0}, {1, 0}, {0, 0}},
	}
	for name, r := range bad {
		if len(ringProblems(r)) == 0 {
			t.Errorf("ring %s passed", name)
		}
	}

	mutate := map[string]func(town *Town){
		"moved shared vertex": func(town *Town) {
			r := ringOf(town.Grids[len(town.Grids)-1])
			for i := range r {
				if !slices.Contains(ringOf(town.Grids[0]), r[i]) {
					r[i][0] += 1e-4
					if i == 0 {
						r[len(r)-1] = r[0]
					}
					return
				}
			}
		},
		"missing grid":   func(town *Town) { town.Grids = town.Grids[:len(town.Grids)-1] },
		"duplicate grid": func(town *Town) { town.Grids = append(town.Grids, town.Grids[len(town.Grids)-1]) },
	}
	for name, f := range mutate {
		town := Generate(42)
		f(town)
		if len(partitionProblems(town)) == 0 {
			t.Errorf("%s: partition check passed", name)
		}
	}
}

// TestSampledCoverage throws random points at the town's bounding box: a point inside the town
// must be in exactly one basic grid and one village, a point outside in none.
func TestSampledCoverage(t *testing.T) {
	for _, seed := range []int64{1, 42} {
		town := Generate(seed)
		tr := ringOf(town.Grids[0])
		var villages, grids []orb.Ring
		for _, g := range town.Grids {
			switch g.Level {
			case 2:
				villages = append(villages, ringOf(g))
			case 3:
				grids = append(grids, ringOf(g))
			}
		}
		bound := tr.Bound()
		rng := rand.New(rand.NewPCG(uint64(seed), 99))
		hits := make([]int, len(grids))
		inTown, skipped := 0, 0
	points:
		for range 20000 {
			p := orb.Point{
				bound.Min[0] + rng.Float64()*(bound.Max[0]-bound.Min[0]),
				bound.Min[1] + rng.Float64()*(bound.Max[1]-bound.Min[1]),
			}
			for _, r := range grids { // the grids' edges include every village and town edge
				for i := 0; i+1 < len(r); i++ {
					if segmentDistance(p, r[i], r[i+1]) < 1e-9 {
						skipped++
						continue points
					}
				}
			}
			want := 0
			if inside(p, tr) {
				want = 1
				inTown++
			}
			ng, nv := 0, 0
			for i, r := range grids {
				if inside(p, r) {
					ng++
					hits[i]++
				}
			}
			for _, r := range villages {
				if inside(p, r) {
					nv++
				}
			}
			if ng != want || nv != want {
				t.Errorf("seed %d: point %v in town %v: in %d grids, %d villages", seed, p, want == 1, ng, nv)
			}
		}
		if inTown < 10000 || skipped > 10 {
			t.Errorf("seed %d: %d of 20000 points in the town, %d skipped", seed, inTown, skipped)
		}
		for i, h := range hits {
			if h == 0 {
				t.Errorf("seed %d: grid %d never hit", seed, i)
			}
		}
	}
}

func TestAreasAndPlaces(t *testing.T) {
	forSeeds(t, func(t *testing.T, town *Town) {
		tg := town.Grids[0]
		area := geo.Area(tg.Geometry)
		if area < 50e6 || area > 70e6 {
			t.Errorf("town area %.1f km², want 50–70", area/1e6)
		}
		c := tg.Geometry.Bound().Center()
		if math.Abs(c[0]-117.53) > 0.03 || math.Abs(c[1]-36.70) > 0.03 {
			t.Errorf("town centred at %v, want near 117.53, 36.70", c)
		}
		small, large, sum := math.Inf(1), 0.0, 0.0
		for _, g := range town.Grids {
			if g.Level == 3 {
				a := geo.Area(g.Geometry)
				small, large, sum = min(small, a), max(large, a), sum+a
			}
		}
		if large/small >= 4 {
			t.Errorf("grid areas %.2f..%.2f km²: ratio %.2f, want < 4", small/1e6, large/1e6, large/small)
		}
		if math.Abs(sum-area) > 1e-6*area {
			t.Errorf("grid areas sum to %.0f m², town %.0f m²", sum, area)
		}

		seat := town.SeatArea[0]
		if a := geo.Area(town.SeatArea); a < 2e6 || a > 4e6 {
			t.Errorf("seat area %.2f km², want 2–4", a/1e6)
		}
		tr := ringOf(tg)
		for _, p := range seat {
			if !inside(p, tr) {
				t.Errorf("seat area vertex %v outside the town", p)
			}
		}
		for i := 0; i+1 < len(seat); i++ {
			for j := 0; j+1 < len(tr); j++ {
				if segmentsIntersect(seat[i], seat[i+1], tr[j], tr[j+1]) {
					t.Errorf("seat area crosses the town boundary")
				}
			}
		}

		if n := len(town.Roads); n < 3 || n > 5 {
			t.Errorf("%d roads, want 3–5", n)
		}
		names := map[string]bool{}
		crossesSeat := false
		for _, rd := range town.Roads {
			if rd.Name == "" || names[rd.Name] {
				t.Errorf("road name %q empty or repeated", rd.Name)
			}
			names[rd.Name] = true
			line := rd.Line
			if len(line) < 2 {
				t.Errorf("%s: %d points", rd.Name, len(line))
				continue
			}
			if inside(line[0], tr) || inside(line[len(line)-1], tr) {
				t.Errorf("%s: does not cross the town (an end is inside)", rd.Name)
			}
			in := 0
			for i, p := range line {
				if inside(p, tr) {
					in++
				}
				if inside(p, seat) {
					crossesSeat = true
				}
				if i > 0 && p == line[i-1] {
					t.Errorf("%s: repeated point", rd.Name)
				}
			}
			if in == 0 {
				t.Errorf("%s: no point inside the town", rd.Name)
			}
			if geo.Length(line) > 25e3 {
				t.Errorf("%s: %.1f km long; should end shortly beyond the town", rd.Name, geo.Length(line)/1e3)
			}
		}
		if !crossesSeat {
			t.Error("no main road crosses the seat area")
		}
	})
}

func TestDepartments(t *testing.T) {
	town := Generate(42)
	want := []string{"环卫所", "执法中队", "第一管区", "第二管区", "第三管区", "建委", "环保所", "农委", "食药所", "安监所", "派出所", "综治办"}
	var got []string
	codes := map[string]bool{}
	slug := regexp.MustCompile(`^[a-z][a-z0-9]*$`)
	covered := map[string]int{}
	for _, d := range town.Departments {
		got = append(got, d.Name)
		if !slug.MatchString(d.Code) || codes[d.Code] {
			t.Errorf("department code %q invalid or repeated", d.Code)
		}
		codes[d.Code] = true
		if strings.HasSuffix(d.Name, "管区") != (len(d.GridCodes) > 0) {
			t.Errorf("%s: villages %v", d.Name, d.GridCodes)
		}
		for _, c := range d.GridCodes {
			covered[c]++
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("departments %v, want %v", got, want)
	}
	grids := byCode(town)
	for _, g := range town.Grids {
		if g.Level == 2 && covered[g.Code] != 1 {
			t.Errorf("village %s is in %d district offices", g.Code, covered[g.Code])
		}
	}
	for c := range covered {
		if grids[c].Level != 2 {
			t.Errorf("district office covers %s, not a village", c)
		}
	}
}

func TestPeople(t *testing.T) {
	forSeeds(t, func(t *testing.T, town *Town) {
		grids := byCode(town)
		depts := map[string]bool{}
		for _, d := range town.Departments {
			depts[d.Code] = true
		}
		phone := regexp.MustCompile(`^1[358]\d{9}$`)
		roles := map[string]bool{RoleAdmin: true, RoleCenter: true, RoleDepartment: true, RoleWorker: true, RoleViewer: true,
			RoleVolunteer: true, RoleInformant: true, RolePolice: true, RoleLiaison: true}
		users := map[string]Person{}
		phones := map[string]bool{}
		// holders[grid][role] lists the usernames holding that role in that grid.
		holders := map[string]map[string][]string{}
		for _, p := range town.People {
			if p.Username == "" || users[p.Username].Username != "" {
				t.Errorf("username %q empty or repeated", p.Username)
			}
			users[p.Username] = p
			if !phone.MatchString(p.Phone) || phones[p.Phone] {
				t.Errorf("%s: phone %q invalid or repeated", p.Username, p.Phone)
			}
			phones[p.Phone] = true
			if p.Name == "" || !roles[p.Role] {
				t.Errorf("%s: name %q role %q", p.Username, p.Name, p.Role)
			}
			if (p.Role == RoleDepartment || p.Role == RoleLiaison) != (p.DepartmentCode != "") || (p.DepartmentCode != "" && !depts[p.DepartmentCode]) {
				t.Errorf("%s: role %s department %q", p.Username, p.Role, p.DepartmentCode)
			}
			for _, a := range p.Assignments {
				if grids[a.GridCode].Level != 3 {
					t.Errorf("%s: assigned to %q, not a basic grid", p.Username, a.GridCode)
				}
				if holders[a.GridCode] == nil {
					holders[a.GridCode] = map[string][]string{}
				}
				holders[a.GridCode][a.GridRole] = append(holders[a.GridCode][a.GridRole], p.Username)
				if a.FullTime != (a.GridRole == GridRoleWorker) {
					t.Errorf("%s: %s full-time %v", p.Username, a.GridRole, a.FullTime)
				}
			}
		}
		if a := users["admin"]; a.Role != RoleAdmin || len(a.Assignments) != 0 {
			t.Errorf("admin = %+v", a)
		}
		if c := users["center"]; c.Role != RoleCenter || c.ScopeGridCode != TownCode {
			t.Errorf("center = %+v", c)
		}
		// The other grid forces: one volunteer, one informant, one liaison
		// and the nine police of PoliceCommunity, a village.
		if grids[PoliceCommunity].Level != 2 {
			t.Errorf("police community %s is not a village", PoliceCommunity)
		}
		forces := map[string]int{}
		for _, p := range town.People {
			switch p.Role {
			case RoleVolunteer, RoleInformant, RoleLiaison:
				forces[p.Role]++
			case RolePolice:
				forces[p.Role]++
				if p.ScopeGridCode != PoliceCommunity || !p.IsLogin() {
					t.Errorf("%s: community %q, login %v", p.Username, p.ScopeGridCode, p.IsLogin())
				}
			}
		}
		if fmt.Sprint(forces) != "map[informant:1 liaison:1 police:9 volunteer:1]" {
			t.Errorf("the other grid forces: %v", forces)
		}
		for d := range depts {
			if p := users["dept-"+d]; p.Role != RoleDepartment || p.DepartmentCode != d {
				t.Errorf("department login for %s = %+v", d, p)
			}
		}
		for _, g := range town.Grids {
			if g.Level != 3 {
				continue
			}
			h := holders[g.Code]
			if w := h[GridRoleWorker]; len(w) != 1 || w[0] != g.Code || users[g.Code].Role != RoleWorker {
				t.Errorf("%s: workers %v", g.Code, w)
			}
			for _, role := range []string{GridRoleHead, GridRolePartyLeader, GridRoleSupervisingLeader, GridRoleSupervisingCadre, GridRoleVolunteer} {
				if len(h[role]) != 1 {
					t.Errorf("%s: %s held by %v", g.Code, role, h[role])
				}
			}
			sibling := g.Code[:12] + "001"
			if g.Code != sibling && !slices.Equal(h[GridRoleHead], holders[sibling][GridRoleHead]) {
				t.Errorf("%s: head %v differs from the village's other grid (%v)", g.Code, h[GridRoleHead], holders[sibling][GridRoleHead])
			}
		}
	})
}

func TestDeterministic(t *testing.T) {
	a, b := Generate(42), Generate(42)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("Generate(42) differs between calls")
	}
	c := Generate(43)
	if reflect.DeepEqual(a.Grids[0].Geometry, c.Grids[0].Geometry) || reflect.DeepEqual(a.People, c.People) {
		t.Error("Generate(42) and Generate(43) have the same town outline or people")
	}
}

// TestWriteGeoJSON writes the demo town for eyeballing:
//
//	go test ./internal/demo -run TestWriteGeoJSON -write
func TestWriteGeoJSON(t *testing.T) {
	if !*write {
		return
	}
	town := Generate(42)
	type geometry struct {
		Type        string `json:"type"`
		Coordinates any    `json:"coordinates"`
	}
	type feature struct {
		Type       string         `json:"type"`
		Geometry   geometry       `json:"geometry"`
		Properties map[string]any `json:"properties"`
	}
	var fs []feature
	for _, g := range town.Grids {
		fs = append(fs, feature{"Feature", geometry{"MultiPolygon", g.Geometry}, map[string]any{
			"kind": "grid", "code": g.Code, "name": g.Name, "level": g.Level, "parent": g.ParentCode,
			"households": g.Households, "population": g.Population,
		}})
	}
	for _, r := range town.Roads {
		fs = append(fs, feature{"Feature", geometry{"LineString", r.Line}, map[string]any{"kind": "road", "name": r.Name}})
	}
	fs = append(fs, feature{"Feature", geometry{"Polygon", town.SeatArea}, map[string]any{"kind": "seat", "name": "街道政府驻地"}})
	data, err := json.MarshalIndent(map[string]any{"type": "FeatureCollection", "features": fs}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(os.TempDir(), "demo.geojson")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	svgPath := filepath.Join(os.TempDir(), "demo.svg")
	if err := os.WriteFile(svgPath, svg(town), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s and %s", path, svgPath)
}

// svg draws the town: grids filled per village, village borders thick, roads red, the seat area
// hatched.
func svg(town *Town) []byte {
	b := town.Grids[0].Geometry.Bound()
	const size = 1000.0
	kx := math.Cos(CenterLat * math.Pi / 180)
	scale := size / max((b.Max[0]-b.Min[0])*kx, b.Max[1]-b.Min[1])
	xy := func(p orb.Point) string {
		return fmt.Sprintf("%.1f,%.1f", 20+(p[0]-b.Min[0])*kx*scale, 20+(b.Max[1]-p[1])*scale)
	}
	path := func(ps []orb.Point, closed bool) string {
		var s strings.Builder
		for i, p := range ps {
			s.WriteString(map[bool]string{true: "M", false: "L"}[i == 0] + xy(p) + " ")
		}
		if closed {
			s.WriteString("Z")
		}
		return s.String()
	}
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d"><rect width="100%%" height="100%%" fill="white"/>`, int(size+40), int(size+40))
	s.WriteString(`<defs><pattern id="h" width="8" height="8" patternUnits="userSpaceOnUse"><path d="M0,8 L8,0" stroke="black" stroke-width="1"/></pattern></defs>`)
	village := 0
	for _, g := range town.Grids {
		r := ringOf(g)
		switch g.Level {
		case 2:
			village++
		case 3:
			hue := village * 360 / 13 % 360
			light := map[bool]int{true: 70, false: 82}[strings.HasSuffix(g.Code, "1")]
			fmt.Fprintf(&s, `<path d="%s" fill="hsl(%d,60%%,%d%%)" stroke="#555" stroke-width="0.8"/>`, path(r, true), hue, light)
		}
	}
	for _, g := range town.Grids {
		if g.Level < 3 {
			fmt.Fprintf(&s, `<path d="%s" fill="none" stroke="black" stroke-width="%d"/>`, path(ringOf(g), true), 4-g.Level)
		}
	}
	fmt.Fprintf(&s, `<path d="%s" fill="url(#h)" stroke="black" stroke-dasharray="4,3"/>`, path(town.SeatArea[0], true))
	for _, r := range town.Roads {
		fmt.Fprintf(&s, `<path d="%s" fill="none" stroke="#d22" stroke-width="3"/>`, path(r.Line, false))
	}
	s.WriteString("</svg>")
	return []byte(s.String())
}
