package main

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/patrol"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/workday"
	"github.com/gridd/gridd/spatial/coverage"
	"github.com/gridd/gridd/spatial/crs"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
)

// patrolNow is the clock of the patrol tests: 10 March 2026, noon in Shanghai.
var patrolNow = time.Date(2026, 3, 10, 12, 0, 0, 0, workday.Shanghai())

func newPatrolApp(t *testing.T) *testApp {
	return newTestAppConfig(t, true, func(c *Config) { c.Now = func() time.Time { return patrolNow } })
}

// routeDay is 09:00 yesterday in Shanghai: the route×role test runs on the
// real clock, and intake accepts only recent fixes.
func routeDay() time.Time {
	y := time.Now().In(workday.Shanghai()).AddDate(0, 0, -1)
	return time.Date(y.Year(), y.Month(), y.Day(), 9, 0, 0, 0, workday.Shanghai())
}

// patrolBody is a one-point batch for worker, n seconds after routeDay.
func patrolBody(worker string, n int) map[string]any {
	t := routeDay().Add(time.Duration(n) * time.Second)
	return map[string]any{"worker": worker, "crs": "wgs84", "points": []map[string]any{
		{"t": t.Format(time.RFC3339), "lon": 117.53, "lat": 36.70, "accuracy_m": 5}}}
}

func patrolGPX(n int) []byte {
	t := routeDay().Add(time.Hour + time.Duration(n)*time.Second).UTC()
	return []byte(`<?xml version="1.0"?><gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>` +
		`<trkpt lat="36.70" lon="117.53"><time>` + t.Format(time.RFC3339) + `</time></trkpt></trkseg></trk></gpx>`)
}

// inside returns a point well inside grid code.
func inside(ta *testApp, code string) orb.Point {
	g, err := ta.grids.FindGridByCode(context.Background(), code, nil)
	if err != nil {
		ta.t.Fatal(err)
	}
	c, err := coverage.Discretise(g.Geometry, coverage.Options{RadiusM: 60})
	if err != nil {
		ta.t.Fatal(err)
	}
	// The cell farthest from the boundary.
	best, bestD := orb.Point{}, -1.0
	for i := 0; i < c.Len(); i += 7 {
		p := c.Center(i)
		if !c.Contains(p) {
			continue
		}
		d := math.Inf(1)
		for _, r := range g.Geometry[0] {
			for k := 0; k+1 < len(r); k++ {
				d = min(d, segDistM(p, r[k], r[k+1]))
			}
		}
		if d > bestD {
			best, bestD = p, d
		}
	}
	return best
}

func segDistM(p, a, b orb.Point) float64 {
	kx := 111320 * math.Cos(p[1]*math.Pi/180)
	const ky = 110950.0
	ax, ay := (a[0]-p[0])*kx, (a[1]-p[1])*ky
	bx, by := (b[0]-p[0])*kx, (b[1]-p[1])*ky
	dx, dy := bx-ax, by-ay
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = max(0, min(1, -(ax*dx+ay*dy)/l))
	}
	return math.Hypot(ax+t*dx, ay+t*dy)
}

func checkpointBody(ta *testApp, code string) map[string]any {
	p := inside(ta, code)
	return map[string]any{"name": "危险水塘", "kind": "pond", "lon": p[0], "lat": p[1], "frequency": "daily"}
}

func newCheckpoint(ta *testApp, code string) int64 {
	p := inside(ta, code)
	c := &patrol.Checkpoint{Name: "建筑工地", Kind: "construction", Lon: p[0], Lat: p[1], Frequency: "weekly", RadiusM: 30, GridCode: code}
	if err := ta.patrols.Store.CreateCheckpoint(context.Background(), c); err != nil {
		ta.t.Fatal(err)
	}
	return c.ID
}

type pt struct {
	T        time.Time
	Lon, Lat float64
	Acc      float64
}

func pointsBody(worker, sys string, pts []pt) map[string]any {
	var out []map[string]any
	for _, p := range pts {
		out = append(out, map[string]any{"t": p.T.Format(time.RFC3339), "lon": p.Lon, "lat": p.Lat, "accuracy_m": p.Acc})
	}
	return map[string]any{"worker": worker, "crs": sys, "points": out}
}

// line returns fixes every step from a to b at speed m/s, starting at t.
func line(t time.Time, a, b orb.Point, speed float64, step time.Duration) []pt {
	kx := 111320 * math.Cos(a[1]*math.Pi/180)
	const ky = 110950.0
	dist := math.Hypot((b[0]-a[0])*kx, (b[1]-a[1])*ky)
	n := int(dist / (speed * step.Seconds()))
	var out []pt
	for k := 0; k <= n; k++ {
		f := float64(k) / float64(max(n, 1))
		out = append(out, pt{T: t.Add(time.Duration(k) * step), Lon: a[0] + f*(b[0]-a[0]), Lat: a[1] + f*(b[1]-a[1]), Acc: 6})
	}
	return out
}

// loop walks a circle of radius m around c for dur, a fix every step.
func loop(t time.Time, c orb.Point, radius float64, dur, step time.Duration) []pt {
	kx := 111320 * math.Cos(c[1]*math.Pi/180)
	const ky = 110950.0
	var out []pt
	for s := time.Duration(0); s <= dur; s += step {
		ang := 1.3 * s.Seconds() / radius
		out = append(out, pt{T: t.Add(s), Lon: c[0] + radius*math.Cos(ang)/kx, Lat: c[1] + radius*math.Sin(ang)/ky, Acc: 6})
	}
	return out
}

type dailyJSON struct {
	Fixes         int            `json:"fixes"`
	Valid         int            `json:"valid"`
	Flagged       map[string]int `json:"flagged"`
	PatrolSeconds float64        `json:"patrol_seconds"`
	DistanceM     float64        `json:"distance_m"`
	Patrolled     bool           `json:"patrolled"`
	Grids         []struct {
		Code          string  `json:"code"`
		PatrolSeconds float64 `json:"patrol_seconds"`
		DistanceM     float64 `json:"distance_m"`
		Coverage      float64 `json:"coverage"`
		Uncovered     struct {
			Type string `json:"type"`
		} `json:"uncovered"`
	} `json:"grids"`
	Track struct {
		Type        string        `json:"type"`
		Coordinates [][][]float64 `json:"coordinates"`
	} `json:"track"`
}

func (ta *testApp) daily(token, worker, date string) dailyJSON {
	ta.t.Helper()
	res := ta.do("GET", "/api/v1/patrols/daily?worker="+worker+"&date="+date, token, nil, nil)
	if res.Status != 200 {
		ta.t.Fatalf("daily %s %s: %d %s", worker, date, res.Status, res.Body)
	}
	var d dailyJSON
	res.decode(ta.t, &d)
	return d
}

func (ta *testApp) countPoints(worker string) int {
	ta.t.Helper()
	var n int
	err := ta.db.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM patrol_points p JOIN users u ON u.id = p.worker_id WHERE u.username = $1`, worker).Scan(&n)
	if err != nil {
		ta.t.Fatal(err)
	}
	return n
}

func TestPatrolIntakeIdempotentAndValidated(t *testing.T) {
	ta := newPatrolApp(t)
	tok := ta.login(ownGrid)
	base := ta.countPoints(ownGrid)
	c := inside(ta, ownGrid)
	t0 := time.Date(2026, 3, 3, 9, 0, 0, 0, workday.Shanghai())
	pts := loop(t0, c, 50, 10*time.Minute, 30*time.Second)
	res := ta.do("POST", "/api/v1/patrols/points", tok, pointsBody(ownGrid, "wgs84", pts), nil)
	if res.Status != 200 || !strings.Contains(string(res.Body), fmt.Sprintf(`"stored":%d`, len(pts))) {
		t.Fatalf("first batch: %d %s", res.Status, res.Body)
	}
	// The same batch again (a dropped connection): nothing added.
	res = ta.do("POST", "/api/v1/patrols/points", tok, pointsBody(ownGrid, "wgs84", pts), nil)
	if res.Status != 200 || !strings.Contains(string(res.Body), `"stored":0`) {
		t.Fatalf("re-sent batch: %d %s", res.Status, res.Body)
	}
	if n := ta.countPoints(ownGrid); n != base+len(pts) {
		t.Fatalf("%d points stored, want %d", n, base+len(pts))
	}
	// A batch with one bad point is refused whole, naming the point.
	bad := []struct {
		name, want string
		mutate     func(m map[string]any)
	}{
		{"latitude out of range", `"field":"points[2]"`, func(m map[string]any) { m["lat"] = 136.7; m["lon"] = 200.0 }},
		{"time without offset", `"field":"points[2].t"`, func(m map[string]any) { m["t"] = "2026-03-03 09:00:00" }},
		{"time two years back", `"reason":"time_out_of_range"`, func(m map[string]any) { m["t"] = "2024-03-03T09:00:00+08:00" }},
		{"negative accuracy", `"field":"points[2].accuracy_m"`, func(m map[string]any) { m["accuracy_m"] = -1 }},
		{"missing lon", `"field":"points[2].lon,lat"`, func(m map[string]any) { delete(m, "lon") }},
	}
	for _, b := range bad {
		body := pointsBody(ownGrid, "wgs84", line(t0.Add(time.Hour), c, orb.Point{c[0] + 0.001, c[1]}, 1.2, 20*time.Second))
		b.mutate(body["points"].([]map[string]any)[2])
		res := ta.do("POST", "/api/v1/patrols/points", tok, body, nil)
		if res.Status != 400 || !strings.Contains(string(res.Body), b.want) {
			t.Errorf("%s: %d %s", b.name, res.Status, res.Body)
		}
	}
	if n := ta.countPoints(ownGrid); n != base+len(pts) {
		t.Errorf("a rejected batch stored points: %d, want %d", n, base+len(pts))
	}
	// Too many points.
	many := make([]pt, patrol.MaxBatch+1)
	for i := range many {
		many[i] = pt{T: t0.Add(time.Duration(i) * time.Second), Lon: c[0], Lat: c[1]}
	}
	if res := ta.do("POST", "/api/v1/patrols/points", tok, pointsBody(ownGrid, "wgs84", many), nil); res.Status != 413 {
		t.Errorf("10,001 points: %d %.200s", res.Status, res.Body)
	}
	// GCJ-02 phones: stored in WGS84.
	g := pt{T: t0.Add(5 * time.Hour), Lon: 117.53, Lat: 36.70, Acc: 5}
	if res := ta.do("POST", "/api/v1/patrols/points", tok, pointsBody(ownGrid, "gcj02", []pt{g}), nil); res.Status != 200 {
		t.Fatalf("gcj02: %d %s", res.Status, res.Body)
	}
	u, _ := ta.people.FindUserByUsername(context.Background(), ownGrid)
	fx, err := ta.patrols.Store.FindFixes(context.Background(), u.ID, g.T, g.T.Add(time.Second))
	if err != nil || len(fx) != 1 {
		t.Fatalf("stored gcj02 fix: %v %v", fx, err)
	}
	wl, wa := crs.ToWGS84(crs.GCJ02, g.Lon, g.Lat)
	if math.Abs(fx[0].Lon-wl) > 1e-9 || math.Abs(fx[0].Lat-wa) > 1e-9 || math.Abs(fx[0].Lon-g.Lon) < 1e-4 {
		t.Errorf("stored %v,%v; want WGS84 %v,%v", fx[0].Lon, fx[0].Lat, wl, wa)
	}
	// GPX.
	gpx := []byte(`<?xml version="1.0"?><gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>` +
		`<trkpt lat="36.70" lon="117.53"><time>2026-03-03T02:00:07Z</time><speed>1.2</speed></trkpt></trkseg></trk></gpx>`)
	res = ta.do("POST", "/api/v1/patrols/gpx?worker="+ownGrid, tok, gpx, nil)
	if res.Status != 200 || !strings.Contains(string(res.Body), `"stored":1`) {
		t.Errorf("gpx: %d %s", res.Status, res.Body)
	}
	if res := ta.do("POST", "/api/v1/patrols/gpx?worker="+ownGrid, tok, []byte("<gpx><trk><trkseg><trkpt lat=\"x\" lon=\"1\"><time>2026-03-03T01:00:00Z</time></trkpt></trkseg></trk></gpx>"), nil); res.Status != 400 || !strings.Contains(string(res.Body), "points[0]") {
		t.Errorf("bad gpx point: %d %s", res.Status, res.Body)
	}
	if res := ta.do("POST", "/api/v1/patrols/gpx?worker="+ownGrid, tok, []byte("not xml"), nil); res.Status != 400 {
		t.Errorf("not xml: %d %s", res.Status, res.Body)
	}
}

func TestPatrolAccess(t *testing.T) {
	ta := newPatrolApp(t)
	tok := ta.login(ownGrid)
	if res := ta.do("POST", "/api/v1/patrols/points", tok, patrolBody(otherGrid, 1), nil); res.Status != 403 {
		t.Errorf("worker uploading another's track: %d %s", res.Status, res.Body)
	}
	if res := ta.do("POST", "/api/v1/patrols/points", tok, patrolBody("nobody", 1), nil); res.Status != 403 {
		t.Errorf("worker uploading for an unknown user: %d %s", res.Status, res.Body)
	}
	if res := ta.do("GET", "/api/v1/patrols/daily?worker="+otherGrid+"&date=2026-03-02", tok, nil, nil); res.Status != 403 {
		t.Errorf("worker reading another's day: %d %s", res.Status, res.Body)
	}
	if res := ta.do("GET", "/api/v1/patrols/daily?date=2026-03-02", tok, nil, nil); res.Status != 200 {
		t.Errorf("worker reading its own day: %d %s", res.Status, res.Body)
	}
	center := ta.login("center")
	if res := ta.do("POST", "/api/v1/patrols/points", center, patrolBody("center", 1), nil); res.Status != 422 {
		t.Errorf("track for a non-worker: %d %s", res.Status, res.Body)
	}
	if res := ta.do("GET", "/api/v1/patrols/daily?worker="+otherGrid+"&date=2026-3-2", center, nil, nil); res.Status != 400 {
		t.Errorf("bad date: %d %s", res.Status, res.Body)
	}
	if res := ta.do("GET", "/api/v1/audits/patrol-coverage?month=2026-13", center, nil, nil); res.Status != 400 {
		t.Errorf("bad month: %d %s", res.Status, res.Body)
	}
	if res := ta.do("GET", "/api/v1/audits/patrol-coverage?month=2026-04", center, nil, nil); res.Status != 400 {
		t.Errorf("future month: %d %s", res.Status, res.Body)
	}
	if res := ta.do("GET", "/api/v1/audits/patrol-coverage?month=2026-02", tok, nil, nil); res.Status != 403 {
		t.Errorf("worker auditing: %d %s", res.Status, res.Body)
	}
}

// TestPatrolDayMidnightAndLatePoints: a walk from 23:00 to 00:40 Shanghai
// time splits at local midnight (not UTC); points for a day that arrive
// later recompute it.
func TestPatrolDayMidnightAndLatePoints(t *testing.T) {
	ta := newPatrolApp(t)
	tok := ta.login(ownGrid)
	c := inside(ta, ownGrid)
	sh := workday.Shanghai()
	night := loop(time.Date(2026, 3, 4, 23, 0, 0, 0, sh), c, 60, 100*time.Minute, 30*time.Second)
	if res := ta.do("POST", "/api/v1/patrols/points", tok, pointsBody(ownGrid, "wgs84", night), nil); res.Status != 200 {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	d4 := ta.daily(tok, ownGrid, "2026-03-04")
	d5 := ta.daily(tok, ownGrid, "2026-03-05")
	if d4.Fixes != 120 || d5.Fixes != 81 {
		t.Errorf("fixes on 4 March %d (want 120: 23:00–23:59:30), on 5 March %d (want 81)", d4.Fixes, d5.Fixes)
	}
	if math.Abs(d4.PatrolSeconds-3570) > 2 || math.Abs(d5.PatrolSeconds-2400) > 2 {
		t.Errorf("patrol time %v and %v s, want 3570 and 2400", d4.PatrolSeconds, d5.PatrolSeconds)
	}
	if d4.Patrolled || len(d4.Grids) != 1 || d4.Grids[0].Code != ownGrid || d4.Track.Type != "MultiLineString" {
		t.Errorf("day 4: %+v", d4)
	}
	// Late points: the afternoon of 4 March arrives the next day.
	late := loop(time.Date(2026, 3, 4, 14, 0, 0, 0, sh), c, 150, 2*time.Hour, 30*time.Second)
	late[10].Acc = 80                                                                    // poor accuracy
	late[20].Lon += 0.01                                                                 // a jump of ~900 m in 30 s
	late = append(late, pt{T: late[30].T, Lon: late[30].Lon, Lat: late[30].Lat, Acc: 5}) // duplicate time: stored once
	res := ta.do("POST", "/api/v1/patrols/points", tok, pointsBody(ownGrid, "wgs84", late), nil)
	if res.Status != 200 || !strings.Contains(string(res.Body), `"duplicates":1`) {
		t.Fatalf("late: %d %s", res.Status, res.Body)
	}
	d4b := ta.daily(tok, ownGrid, "2026-03-04")
	if d4b.Fixes != 120+241 || d4b.Flagged["accuracy"] != 1 || d4b.Flagged["speed"] != 1 {
		t.Errorf("after late points: fixes %d, flagged %v", d4b.Fixes, d4b.Flagged)
	}
	if !d4b.Patrolled || d4b.PatrolSeconds < 3570+7100 || d4b.Grids[0].Coverage <= d4.Grids[0].Coverage {
		t.Errorf("late points not counted: %v s, coverage %v → %v", d4b.PatrolSeconds, d4.Grids[0].Coverage, d4b.Grids[0].Coverage)
	}
	// A future fix (an hour after the clock) is flagged.
	fut := []pt{{T: patrolNow.Add(time.Hour), Lon: c[0], Lat: c[1], Acc: 5}}
	if res := ta.do("POST", "/api/v1/patrols/points", tok, pointsBody(ownGrid, "wgs84", fut), nil); res.Status != 200 {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	if d := ta.daily(tok, ownGrid, "2026-03-10"); d.Flagged["future_time"] != 1 || d.Valid != 0 {
		t.Errorf("future fix: %+v", d)
	}
}

// TestPatrolTwoGridsAndNeighbour: a worker holding two grids patrols in
// both; a walk across into a grid that is not its own counts only inside
// its own grid (checked against PostGIS ST_Intersection lengths).
func TestPatrolTwoGridsAndNeighbour(t *testing.T) {
	ta := newPatrolApp(t)
	ctx := context.Background()
	tok := ta.login(ownGrid)
	u, err := ta.people.FindUserByUsername(ctx, ownGrid)
	if err != nil {
		t.Fatal(err)
	}
	second := "370114001001002"
	if err := ta.people.CreateAssignment(ctx, &people.Assignment{UserID: u.ID, GridCode: second, GridRole: people.GridWorker,
		ValidFrom: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	sh := workday.Shanghai()
	a, b := inside(ta, ownGrid), inside(ta, second)
	pts := loop(time.Date(2026, 3, 6, 8, 0, 0, 0, sh), a, 80, 70*time.Minute, 30*time.Second)
	pts = append(pts, loop(time.Date(2026, 3, 6, 10, 0, 0, 0, sh), b, 80, 70*time.Minute, 30*time.Second)...)
	if res := ta.do("POST", "/api/v1/patrols/points", tok, pointsBody(ownGrid, "wgs84", pts), nil); res.Status != 200 {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	d := ta.daily(tok, ownGrid, "2026-03-06")
	if len(d.Grids) != 2 || d.Grids[0].Code != ownGrid || d.Grids[1].Code != second {
		t.Fatalf("grids %+v", d.Grids)
	}
	for _, g := range d.Grids {
		if math.Abs(g.PatrolSeconds-4200) > 2 || g.Coverage <= 0 {
			t.Errorf("grid %s: %v s, coverage %v", g.Code, g.PatrolSeconds, g.Coverage)
		}
	}
	if !d.Patrolled || math.Abs(d.PatrolSeconds-8400) > 4 {
		t.Errorf("two grids: patrolled %v, %v s", d.Patrolled, d.PatrolSeconds)
	}

	// Into a neighbour that is not its own: from the own grid's centre to
	// the centre of a grid of the next village.
	far := inside(ta, otherGrid)
	walk := line(time.Date(2026, 3, 7, 8, 0, 0, 0, sh), a, far, 1.3, 20*time.Second)
	if res := ta.do("POST", "/api/v1/patrols/points", tok, pointsBody(ownGrid, "wgs84", walk), nil); res.Status != 200 {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	d7 := ta.daily(tok, ownGrid, "2026-03-07")
	var ls orb.LineString
	for _, p := range walk {
		ls = append(ls, orb.Point{p.Lon, p.Lat})
	}
	total := walk[len(walk)-1].T.Sub(walk[0].T).Seconds()
	for _, g := range d7.Grids {
		var frac float64
		err := ta.db.Pool.QueryRow(ctx, `
SELECT ST_Length(ST_Intersection(ST_GeomFromText($1, 4326), geom)::geography) / ST_Length(ST_GeomFromText($1, 4326)::geography)
FROM grid_versions WHERE code = $2 AND valid_to IS NULL`, wkt.MarshalString(ls), g.Code).Scan(&frac)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(g.PatrolSeconds-frac*total) > 0.005*total+2 {
			t.Errorf("grid %s: %v s inside, PostGIS says %.0f s (%.3f of %v s)", g.Code, g.PatrolSeconds, frac*total, frac, total)
		}
	}
	if d7.PatrolSeconds >= 0.9*total || d7.PatrolSeconds <= 0 {
		t.Errorf("walk into another village: %v s of %v counted", d7.PatrolSeconds, total)
	}
}

type auditJSON struct {
	Month string `json:"month"`
	Days  int    `json:"days"`
	Rows  []struct {
		GridCode         string  `json:"grid_code"`
		Worker           string  `json:"worker"`
		Days             int     `json:"days"`
		DaysPatrolled    int     `json:"days_patrolled"`
		DaysUnder        int     `json:"days_under_minimum"`
		DaysWithoutFixes int     `json:"days_without_fixes"`
		FullDays         int     `json:"full_patrol_days"`
		Coverage         float64 `json:"monthly_coverage"`
		UncoveredCells   int     `json:"cells_never_visited"`
		NeverVisited     *struct {
			Type string `json:"type"`
		} `json:"never_visited"`
	} `json:"rows"`
	GridsWithoutWorker []struct{ Code string } `json:"grids_without_worker"`
	MissedCheckpoints  []struct {
		ID     int64    `json:"id"`
		Missed []string `json:"missed"`
	} `json:"missed_checkpoints"`
}

// TestPatrolAuditCheckpoints: a daily checkpoint visited on some days is
// missed on the others; a weekly one never visited is missed every week.
func TestPatrolAuditCheckpoints(t *testing.T) {
	ta := newPatrolApp(t)
	tok := ta.login(ownGrid)
	center := ta.login("center")
	c := inside(ta, ownGrid)
	res := ta.do("POST", "/api/v1/checkpoints", center, map[string]any{"name": "危险水塘", "lon": c[0], "lat": c[1], "frequency": "daily", "radius_m": 25}, nil)
	if res.Status != 201 || !strings.Contains(string(res.Body), `"grid_code":"`+ownGrid+`"`) {
		t.Fatalf("create checkpoint: %d %s", res.Status, res.Body)
	}
	if res := ta.do("POST", "/api/v1/checkpoints", center, map[string]any{"name": "x", "lon": c[0], "lat": c[1], "frequency": "monthly"}, nil); res.Status != 400 {
		t.Errorf("bad frequency: %d %s", res.Status, res.Body)
	}
	weekly := newCheckpoint(ta, otherGrid)
	sh := workday.Shanghai()
	for _, day := range []int{2, 3, 5} {
		pts := loop(time.Date(2026, 3, day, 9, 0, 0, 0, sh), orb.Point{c[0] + 0.0004, c[1]}, 36, 20*time.Minute, 20*time.Second)
		if res := ta.do("POST", "/api/v1/patrols/points", tok, pointsBody(ownGrid, "wgs84", pts), nil); res.Status != 200 {
			t.Fatalf("%d %s", res.Status, res.Body)
		}
	}
	res = ta.do("GET", "/api/v1/audits/patrol-coverage?month=2026-03&cells=false", center, nil, nil)
	if res.Status != 200 {
		t.Fatalf("audit: %d %.300s", res.Status, res.Body)
	}
	var a auditJSON
	res.decode(t, &a)
	if a.Days != 9 || len(a.Rows) != 26 {
		t.Fatalf("audit of 2026-03 on 10 March: %d days, %d rows", a.Days, len(a.Rows))
	}
	missed := map[int64][]string{}
	for _, m := range a.MissedCheckpoints {
		missed[m.ID] = m.Missed
	}
	want := "2026-03-01 2026-03-04 2026-03-06 2026-03-07 2026-03-08 2026-03-09"
	var daily int64
	for id := range missed {
		if id != weekly {
			daily = id
		}
	}
	if got := strings.Join(missed[daily], " "); got != want {
		t.Errorf("daily checkpoint missed %q, want %q", got, want)
	}
	if got := strings.Join(missed[weekly], " "); got != "2026-W09 2026-W10 2026-W11" {
		t.Errorf("weekly checkpoint missed %q", got)
	}
	for _, r := range a.Rows {
		if r.Worker == ownGrid && (r.DaysWithoutFixes != 6 || r.DaysPatrolled != 0 || r.DaysUnder != 9 || r.NeverVisited != nil) {
			t.Errorf("row of %s: %+v", ownGrid, r)
		}
	}
}
