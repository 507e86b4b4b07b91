package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/demo"
	"github.com/gridd/gridd/internal/workday"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// testClock is an injected clock tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// cst returns a wall-clock time in Asia/Shanghai.
func cst(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, workday.Shanghai())
}

// newCaseApp is the real wiring on a fresh demo database with clk as the clock.
func newCaseApp(t testing.TB, clk *testClock) *testApp {
	t.Helper()
	return newCaseAppURL(t, clk, "")
}

// newCaseAppURL is newCaseApp with extra connection parameters (e.g.
// "&pool_max_conns=16").
func newCaseAppURL(t testing.TB, clk *testClock, extra string) *testApp {
	t.Helper()
	url := dbtest.URL(t, dbtest.NewDemo(t)) + extra
	c := Config{DatabaseURL: url, StatementTimeout: 30 * time.Second, TokenTTL: 24 * 365 * time.Hour, MaxBody: 1 << 20, Now: clk.Now}
	return serveTestApp(t, c)
}

var demoTown = sync.OnceValue(func() *demo.Town { return demo.Generate(dbtest.DemoSeed) })

func demoGrid(code string) demo.Grid {
	for _, g := range demoTown().Grids {
		if g.Code == code {
			return g
		}
	}
	panic("no demo grid " + code)
}

// pointIn returns a deterministic point well inside grid code (at least
// margin metres from its boundary, approximately).
func pointIn(code string, seed uint64, margin float64) orb.Point {
	g := demoGrid(code)
	rng := rand.New(rand.NewPCG(seed, 7))
	b := g.Geometry.Bound()
	for {
		p := orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
		if planar.MultiPolygonContains(g.Geometry, p) && ringDistanceM(g.Geometry[0][0], p) > margin {
			return p
		}
	}
}

// metres per degree near the demo town (equirectangular approximation,
// good to well under 1% over a few kilometres).
var mPerDegLat = 111_320.0

func mPerDegLon(lat float64) float64 { return 111_320.0 * math.Cos(lat*math.Pi/180) }

// segmentDistanceM is the approximate distance in metres from p to segment ab.
func segmentDistanceM(a, b, p orb.Point) float64 {
	kx, ky := mPerDegLon(p[1]), mPerDegLat
	ax, ay := (a[0]-p[0])*kx, (a[1]-p[1])*ky
	bx, by := (b[0]-p[0])*kx, (b[1]-p[1])*ky
	dx, dy := bx-ax, by-ay
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/l))
	}
	return math.Hypot(ax+t*dx, ay+t*dy)
}

func lineDistanceM(ls []orb.Point, p orb.Point) float64 {
	d := math.Inf(1)
	for i := 1; i < len(ls); i++ {
		d = math.Min(d, segmentDistanceM(ls[i-1], ls[i], p))
	}
	return d
}

func ringDistanceM(r orb.Ring, p orb.Point) float64 { return lineDistanceM(r, p) }

// roadDistanceM is the approximate distance from p to the nearest demo main road.
func roadDistanceM(p orb.Point) float64 {
	d := math.Inf(1)
	for _, r := range demoTown().Roads {
		d = math.Min(d, lineDistanceM(r.Line, p))
	}
	return d
}

// testPNG is a small PNG; shade makes different bytes.
func testPNG(t testing.TB, shade uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 12))
	for x := range 16 {
		for y := range 12 {
			img.Set(x, y, color.RGBA{shade, uint8(x * 10), uint8(y * 10), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// upload posts a photo as token and returns its id.
func (ta *testApp) upload(token string, shade uint8) int64 {
	ta.t.Helper()
	res := ta.do("POST", "/api/v1/uploads", token, testPNG(ta.t, shade), map[string]string{"Content-Type": "image/png"})
	if res.Status != 201 {
		ta.t.Fatalf("upload: %d %s", res.Status, res.Body)
	}
	var out struct{ ID int64 }
	res.decode(ta.t, &out)
	return out.ID
}

// caseView is the part of a case the tests read.
type caseView struct {
	ID         int64    `json:"id"`
	Number     string   `json:"number"`
	Version    int      `json:"version"`
	Category   string   `json:"category"`
	Status     string   `json:"status"`
	GridCode   string   `json:"grid_code"`
	GridChain  []string `json:"grid_chain"`
	WorkerID   int64    `json:"worker_id"`
	LeadUnit   string   `json:"lead_unit"`
	CoUnits    []string `json:"co_units"`
	Duplicates []int64  `json:"duplicates"`
	Emergency  bool     `json:"emergency"`
	MergedInto int64    `json:"merged_into"`
	Rework     int      `json:"rework_count"`
	Rating     int      `json:"rating"`
	Suggestion *struct {
		RuleID   int64    `json:"rule_id"`
		LeadUnit string   `json:"lead_unit"`
		CoUnits  []string `json:"co_units"`
	} `json:"suggestion"`
	Deadlines struct {
		AcceptDue *time.Time `json:"accept_due"`
		HandleDue *time.Time `json:"handle_due"`
		VerifyDue *time.Time `json:"verify_due"`
		Current   *time.Time `json:"current"`
	} `json:"deadlines"`
	Overdue       bool     `json:"overdue"`
	HandledOnTime *bool    `json:"handled_on_time"`
	Allowed       []string `json:"allowed_actions"`
	Timeline      []struct {
		Action   string         `json:"action"`
		ToStatus string         `json:"to_status"`
		Comment  string         `json:"comment"`
		Data     map[string]any `json:"data"`
	} `json:"timeline"`
}

// report posts a case and returns it (status must be 201).
func (ta *testApp) report(token string, body map[string]any, hdr map[string]string) caseView {
	ta.t.Helper()
	res := ta.do("POST", "/api/v1/cases", token, body, hdr)
	if res.Status != 201 {
		ta.t.Fatalf("report: %d %s", res.Status, res.Body)
	}
	var c caseView
	res.decode(ta.t, &c)
	return c
}

// act posts a transition with the case's version and returns the case.
func (ta *testApp) act(token string, c *caseView, body map[string]any) response {
	ta.t.Helper()
	res := ta.do("POST", fmt.Sprintf("/api/v1/cases/%d/transitions", c.ID), token, body, map[string]string{"If-Match": fmt.Sprintf(`"%d"`, c.Version)})
	if res.Status == 200 {
		var fresh caseView
		res.decode(ta.t, &fresh)
		*c = fresh
	}
	return res
}

// mustAct is act that requires 200.
func (ta *testApp) mustAct(token string, c *caseView, body map[string]any) {
	ta.t.Helper()
	if res := ta.act(token, c, body); res.Status != 200 {
		ta.t.Fatalf("%v on case %d (%s): %d %s", body["action"], c.ID, c.Status, res.Status, res.Body)
	}
}

// newCaseIn reports a case in grid code through the service (as that
// grid's worker) and returns its id; with photo, a photo is attached.
func newCaseIn(ta *testApp, code string, withPhoto bool) (caseID, photoID int64) {
	ta.t.Helper()
	ctx := context.Background()
	u, err := ta.people.FindUserByUsername(ctx, code)
	if err != nil {
		ta.t.Fatal(err)
	}
	p, err := ta.auth.PrincipalFor(ctx, u)
	if err != nil {
		ta.t.Fatal(err)
	}
	pt := pointIn(code, uint64(time.Now().UnixNano()%1000), 30)
	rep := casework.Report{Category: "0104", Description: "矩阵测试", Lon: pt[0], Lat: pt[1], Source: "worker_app"}
	if withPhoto {
		ph, err := casework.CleanPhoto(testPNG(ta.t, 7))
		if err != nil {
			ta.t.Fatal(err)
		}
		ph.OwnerID = u.ID
		if err := ta.caseStore.CreateUpload(ctx, ph); err != nil {
			ta.t.Fatal(err)
		}
		rep.Photos = []int64{ph.ID}
		photoID = ph.ID
	}
	c, _, err := ta.cases.Intake(ctx, p, rep, "")
	if err != nil {
		ta.t.Fatal(err)
	}
	return c.ID, photoID
}

// caseRouteCases are the access expectations of the case routes (issue 5).
func caseRouteCases() map[string]routeCase {
	return map[string]routeCase{
		"POST /api/v1/cases": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/cases", reportBody("0104", pointIn(otherGrid, 3, 30)), nil
		}, only(201, "admin", "center", "worker", "volunteer", "informant", "police", "liaison")},
		"GET /api/v1/cases": {fixed("/api/v1/cases?limit=5"), all(200, nil)},
		"GET /api/v1/cases/{id}": {func(ta *testApp, _ string) (string, any, map[string]string) {
			id, _ := newCaseIn(ta, otherGrid, false)
			return fmt.Sprintf("/api/v1/cases/%d", id), nil, nil
		}, all(200, forcesToo(403, map[string]int{"worker": 403, "department": 403}))},
		"POST /api/v1/cases/{id}/transitions": {func(ta *testApp, _ string) (string, any, map[string]string) {
			id, _ := newCaseIn(ta, otherGrid, false)
			return fmt.Sprintf("/api/v1/cases/%d/transitions", id), map[string]any{"action": "accept"}, map[string]string{"If-Match": `"1"`}
		}, only(200, "admin", "center")},
		"GET /api/v1/stats/cases": {fixed("/api/v1/stats/cases?from=2026-10-01&to=2026-11-30&group_by=unit"), all(200, nil)},
		"GET /api/v1/categories":  {fixed("/api/v1/categories"), all(200, nil)},
		"PUT /api/v1/categories/{code}": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/categories/0105", map[string]any{"parent": "01", "name": "道路保洁", "name_en": "Road cleaning", "points": 1.5,
				"deadlines": map[string]int{"accept_days": 1, "handle_days": 3, "verify_days": 1}, "active": true}, nil
		}, only(200, "admin")},
		"GET /api/v1/routing/rules": {fixed("/api/v1/routing/rules"), only(200, "admin", "center")},
		"PUT /api/v1/routing/rules": {func(ta *testApp, _ string) (string, any, map[string]string) {
			rules, err := ta.cases.Rules(context.Background())
			if err != nil {
				ta.t.Fatal(err)
			}
			return "/api/v1/routing/rules", map[string]any{"rules": rules}, nil
		}, only(200, "admin")},
		"POST /api/v1/routing/explain": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/routing/explain", map[string]any{"category": "0102", "lon": 117.53, "lat": 36.70}, nil
		}, all(200, nil)},
		"GET /api/v1/calendar/{year}": {fixed("/api/v1/calendar/2026"), all(200, nil)},
		"PUT /api/v1/calendar/{year}": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/calendar/2026", workday.China2026, nil
		}, only(200, "admin")},
		"POST /api/v1/uploads": {func(ta *testApp, _ string) (string, any, map[string]string) {
			return "/api/v1/uploads", testPNG(ta.t, 5), map[string]string{"Content-Type": "image/png"}
		}, only(201, "admin", "center", "worker", "department", "volunteer", "informant", "police", "liaison")},
		"GET /api/v1/uploads/{id}": {func(ta *testApp, _ string) (string, any, map[string]string) {
			_, ph := newCaseIn(ta, otherGrid, true)
			return fmt.Sprintf("/api/v1/uploads/%d", ph), nil, nil
		}, all(200, forcesToo(403, map[string]int{"worker": 403, "department": 403}))},

		// Open311 GeoReport v2: discovery and services are public.
		"GET /open311/v2/discovery.json":       {fixed("/open311/v2/discovery.json"), all(200, map[string]int{"anonymous": 200})},
		"GET /open311/v2/services.json":        {fixed("/open311/v2/services.json"), all(200, map[string]int{"anonymous": 200})},
		"GET /open311/v2/services/{code}.json": {fixed("/open311/v2/services/0104.json"), all(200, map[string]int{"anonymous": 200})},
		"POST /open311/v2/requests.json": {func(*testApp, string) (string, any, map[string]string) {
			p := pointIn(otherGrid, 4, 30)
			form := url.Values{"service_code": {"0104"}, "lat": {fmt.Sprint(p[1])}, "long": {fmt.Sprint(p[0])}, "description": {"垃圾未清运"}}
			return "/open311/v2/requests.json", []byte(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		}, only(201, "admin", "center", "worker", "volunteer", "informant", "police", "liaison")},
		"GET /open311/v2/requests.json": {fixed("/open311/v2/requests.json?page_size=5"), all(200, nil)},
		"GET /open311/v2/requests/{id}.json": {func(ta *testApp, _ string) (string, any, map[string]string) {
			return "/open311/v2/requests/" + caseNumber(ta, otherGrid) + ".json", nil, nil
		}, all(200, forcesToo(404, map[string]int{"worker": 404, "department": 404}))},
		"GET /open311/v2/tokens/{token}.json": {func(ta *testApp, _ string) (string, any, map[string]string) {
			return "/open311/v2/tokens/" + caseNumber(ta, otherGrid) + ".json", nil, nil
		}, all(200, forcesToo(404, map[string]int{"worker": 404, "department": 404}))},
	}
}

// caseNumber reports a case in grid code and returns its number.
func caseNumber(ta *testApp, code string) string {
	ta.t.Helper()
	id, _ := newCaseIn(ta, code, false)
	c, err := ta.caseStore.FindCase(context.Background(), id)
	if err != nil {
		ta.t.Fatal(err)
	}
	return c.Number
}
