package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/demo"
	"github.com/gridd/gridd/internal/devdb"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/gridd/gridd/internal/province"
	"github.com/gridd/gridd/internal/workday"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

// provinceCluster starts one private cluster with wal_level = logical,
// stopped when the test binary ends.
func provinceCluster(ctx context.Context, name string) (*devdb.Cluster, error) {
	dir, err := os.MkdirTemp("", "gridd-province-"+name+"-")
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		return nil, err
	}
	cl, err := devdb.Start(ctx, devdb.Options{Dir: filepath.Join(dir, "pg"), Database: "gridd", Logical: true})
	if err != nil {
		return nil, fmt.Errorf("cluster %s (PostgreSQL 15 + PostGIS are required): %w", name, err)
	}
	return cl, cl.StopWhenGone(os.Getpid(), dir)
}

// migrateDemo migrates the database at url and loads the demo town.
func migrateDemo(ctx context.Context, url string, withDemo bool) error {
	db, err := postgis.Open(ctx, postgis.Config{URL: url})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil || !withDemo {
		return err
	}
	town := demo.Generate(dbtest.DemoSeed)
	return demo.Load(ctx, town, demo.Stores{Grids: postgis.NewGridStore(db), People: postgis.NewPeopleStore(db), Layers: postgis.NewLayerStore(db)},
		demo.LoadOptions{Password: dbtest.DemoPassword, Hasher: dbtest.FastHasher})
}

// TestProvinceAggregation: two city clusters and a province cluster, all
// with wal_level = logical; each city publishes the demo town under its
// own county code, the province database subscribes to both, and a
// province instance serves them. Province statistics equal the sum of the
// cities' own (each read through its HTTP API); a case reported in city A
// reaches the province within a bounded wait; the province instance's
// console shows them (the "Console" step, province_console_test.go: one
// browser test on this setup); with city B's cluster stopped the province
// still answers (B's figures as last replicated) and still receives A's
// cases; every write on the province is a 405 problem.
func TestProvinceAggregation(t *testing.T) {
	ctx := context.Background()
	const codeA, codeB = "370101", "370102"
	began := time.Now()
	step := func(what string) { t.Logf("%6.2fs %s", time.Since(began).Seconds(), what) }

	clusters := make([]*devdb.Cluster, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i, name := range []string{"a", "b", "province"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			clusters[i], errs[i] = provinceCluster(ctx, name)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if clusters[i] != nil {
			cl := clusters[i]
			t.Cleanup(func() { _ = cl.Stop() })
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	clA, clB, clP := clusters[0], clusters[1], clusters[2]
	step("three clusters started")
	urlA, urlB := clA.URL("gridd"), clB.URL("gridd")
	// The cities' demo towns and the province instance's own database (its
	// logins), side by side.
	for i, u := range []string{urlA, urlB, clP.URL("gridd")} {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = migrateDemo(ctx, u, i < 2) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := clP.CreateDatabase(ctx, "province"); err != nil {
		t.Fatal(err)
	}
	provURL := clP.URL("province")
	step("databases migrated, demo towns loaded")

	cfg := func(db string) Config {
		return Config{DatabaseURL: db, StatementTimeout: 30 * time.Second, TokenTTL: time.Hour, MaxBody: 1 << 20}
	}
	cityA, cityB := serveTestApp(t, cfg(urlA)), serveTestApp(t, cfg(urlB))
	if err := cityA.db.PublishProvince(ctx, codeA); err != nil {
		t.Fatal(err)
	}
	// City B through the command line, as an operator would.
	if err := run(ctx, []string{"province", "publish", "--database-url", urlB, "--county-code", codeB}); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"province", "publish", "--database-url", urlB, "--county-code", "37010"}); err == nil {
		t.Fatal("published under a five-digit county code")
	}
	// Publishing again is idempotent; under another code it is refused.
	if err := cityA.db.PublishProvince(ctx, codeA); err != nil {
		t.Fatalf("publish again: %v", err)
	}
	if err := cityA.db.PublishProvince(ctx, codeB); err == nil {
		t.Fatal("city A published again under another county code")
	}

	pdb, err := postgis.Open(ctx, postgis.Config{URL: provURL})
	if err != nil {
		t.Fatal(err)
	}
	defer pdb.Close()
	if err := pdb.CheckProvinceSchema(ctx); err == nil {
		t.Fatal("an empty province database passed the schema check")
	}
	if err := pdb.MigrateProvince(ctx); err != nil {
		t.Fatal(err)
	}
	if err := pdb.CheckProvinceSchema(ctx); err != nil {
		t.Fatal(err)
	}
	if err := pdb.SubscribeCity(ctx, codeB, urlA); err == nil {
		t.Fatal("subscribed city A's database under city B's code")
	}
	if err := pdb.SubscribeCity(ctx, codeA, urlA); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"province", "subscribe", "--province-url", provURL, "--city-code", codeB, "--conninfo", urlB}); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"province", "status", "--province-url", provURL}); err != nil {
		t.Fatal(err)
	}

	pc := cfg(clP.URL("gridd"))
	pc.ProvinceURL = provURL
	pc.WebDir = consoleDist(t)
	prov := serveTestApp(t, pc)
	hash, err := dbtest.FastHasher.Hash(dbtest.DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []*people.User{
		{Username: "admin", Name: "省管理员", Role: people.RoleAdmin},
		{Username: "worker", Name: "网格员", Role: people.RoleWorker},
	} {
		u.PasswordHash = hash
		if err := prov.people.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	padmin := prov.login("admin")
	step("published, subscribed, three instances serving")

	// Cases through each city's API: three in A, two in B.
	report := func(ta *testApp, token string, seed uint64) {
		b := reportBody("0104", pointIn(ownGrid, seed, 30))
		b["source"] = "hotline_12345"
		ta.report(token, b, nil)
	}
	centerA, centerB := cityA.login("center"), cityB.login("center")
	for i := range 3 {
		report(cityA, centerA, uint64(300+i))
	}
	for i := range 2 {
		report(cityB, centerB, uint64(400+i))
	}

	// The period: this month so far, as the cities' statistics take it.
	now := time.Now().In(workday.Shanghai())
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, workday.Shanghai())
	period := url.Values{"from": {first.Format("2006-01-02")}, "to": {now.Format("2006-01-02")}}.Encode()

	type statsRow struct {
		Key      string `json:"key"`
		Reported int    `json:"reported"`
		Problems int    `json:"problems"`
		Closed   int    `json:"closed"`
	}
	cityStats := func(ta *testApp, token string) statsRow {
		t.Helper()
		res := ta.do("GET", "/api/v1/stats/cases?group_by=month&"+period, token, nil, nil)
		if res.Status != 200 {
			t.Fatalf("city stats: %d %s", res.Status, res.Body)
		}
		var st struct{ Total statsRow }
		res.decode(t, &st)
		return st.Total
	}
	// cityGrids counts the city's grids of level 3 (the demo's leaves) and
	// their population, page by page.
	cityGrids := func(ta *testApp, token string) (n, population int) {
		t.Helper()
		next := "/api/v1/grids?level=3&limit=1000"
		for next != "" {
			res := ta.do("GET", next, token, nil, nil)
			if res.Status != 200 {
				t.Fatalf("city grids: %d %s", res.Status, res.Body)
			}
			var fc struct {
				Features []struct{ Properties map[string]any } `json:"features"`
				Next     string                                `json:"next"`
			}
			res.decode(t, &fc)
			for _, f := range fc.Features {
				n++
				population += int(f.Properties["population"].(float64))
			}
			next = fc.Next
		}
		return n, population
	}
	type provStats struct {
		Counties []struct {
			CountyCode string                  `json:"county_code"`
			Grids      int                     `json:"grids"`
			Population int                     `json:"population"`
			Total      province.MonthFigures   `json:"total"`
			Months     []province.MonthFigures `json:"months"`
		} `json:"counties"`
		Province struct {
			Grids      int                   `json:"grids"`
			Population int                   `json:"population"`
			Total      province.MonthFigures `json:"total"`
		} `json:"province"`
	}
	readProv := func() provStats {
		t.Helper()
		res := prov.do("GET", "/api/v1/province/stats?"+period, padmin, nil, nil)
		if res.Status != 200 {
			t.Fatalf("province stats: %d %s", res.Status, res.Body)
		}
		var st provStats
		res.decode(t, &st)
		return st
	}
	county := func(st provStats, code string) (grids, population, reported int) {
		for _, c := range st.Counties {
			if c.CountyCode == code {
				return c.Grids, c.Population, c.Total.Reported
			}
		}
		return 0, 0, 0
	}
	// waitFor polls cond every 50 ms up to limit and returns how long it took.
	waitFor := func(what string, limit time.Duration, cond func() bool) time.Duration {
		t.Helper()
		start := time.Now()
		for !cond() {
			if time.Since(start) > limit {
				t.Fatalf("%s: not within %s", what, limit)
			}
			time.Sleep(50 * time.Millisecond)
		}
		return time.Since(start)
	}

	sa, sb := cityStats(cityA, centerA), cityStats(cityB, centerB)
	ga, popA := cityGrids(cityA, centerA)
	gb, popB := cityGrids(cityB, centerB)
	if sa.Reported != 3 || sb.Reported != 2 || ga == 0 {
		t.Fatalf("city figures: A %+v (%d grids), B %+v", sa, ga, sb)
	}
	initial := waitFor("initial copy of both cities", 60*time.Second, func() bool {
		st := readProv()
		g1, _, r1 := county(st, codeA)
		g2, _, r2 := county(st, codeB)
		return g1 == ga && g2 == gb && r1 == sa.Reported && r2 == sb.Reported
	})
	t.Logf("initial copy of both cities seen by the province after %s", initial.Round(time.Millisecond))
	st := readProv()
	if g, p, r := county(st, codeA); g != ga || p != popA || r != sa.Reported {
		t.Errorf("county A: %d grids, population %d, %d reported; city A says %d, %d, %d", g, p, r, ga, popA, sa.Reported)
	}
	if g, p, r := county(st, codeB); g != gb || p != popB || r != sb.Reported {
		t.Errorf("county B: %d grids, population %d, %d reported; city B says %d, %d, %d", g, p, r, gb, popB, sb.Reported)
	}
	if st.Province.Grids != ga+gb || st.Province.Population != popA+popB ||
		st.Province.Total.Reported != sa.Reported+sb.Reported || st.Province.Total.Problems != sa.Problems+sb.Problems ||
		st.Province.Total.Closed != sa.Closed+sb.Closed {
		t.Errorf("province %+v, want the sum of A %+v (%d grids) and B %+v (%d grids)", st.Province, sa, ga, sb, gb)
	}

	// A new case in city A reaches the province within a bounded wait.
	report(cityA, centerA, 310)
	lag := waitFor("a new case of city A in the province", 30*time.Second, func() bool {
		_, _, r := county(readProv(), codeA)
		return r == 4
	})
	t.Logf("a new case of city A seen through the province's API after %s", lag.Round(time.Millisecond))

	// Monthly figures: city A assesses this month; the province has the
	// month's aggregate, no worker named.
	res := cityA.do("POST", "/api/v1/assessments/run?month="+now.Format("2006-01"), centerA, nil, nil)
	if res.Status != 201 {
		t.Fatalf("assess city A: %d %s", res.Status, res.Body)
	}
	var run struct {
		Workers []struct {
			Total     float64 `json:"total"`
			Qualified bool    `json:"qualified"`
		} `json:"workers"`
	}
	res.decode(t, &run)
	qualified, sum := 0, 0.0
	for _, w := range run.Workers {
		sum += w.Total
		if w.Qualified {
			qualified++
		}
	}
	var got *province.AssessmentFigures
	waitFor("city A's assessment in the province", 30*time.Second, func() bool {
		for _, c := range readProv().Counties {
			for _, m := range c.Months {
				if c.CountyCode == codeA && m.Month == now.Format("2006-01") && m.Assessment != nil {
					got = m.Assessment
					return true
				}
			}
		}
		return false
	})
	if len(run.Workers) == 0 || got.Workers != len(run.Workers) || got.Qualified != qualified || math.Abs(got.TotalSum-sum) > 1e-6 {
		t.Errorf("province assessment of A %+v; city A: %d workers, %d qualified, total %.2f", got, len(run.Workers), qualified, sum)
	}

	// Tiles: the grids of both cities.
	tile := maptile.At(pointIn(ownGrid, 1, 30), 12)
	res = prov.do("GET", fmt.Sprintf("/api/v1/province/tiles/%d/%d/%d.mvt", tile.Z, tile.X, tile.Y), padmin, nil, nil)
	if res.Status != 200 {
		t.Fatalf("province tile: %d %s", res.Status, res.Body)
	}
	layers, err := mvt.Unmarshal(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, l := range layers {
		for _, f := range l.Features {
			seen[fmt.Sprint(f.Properties["county_code"])]++
		}
	}
	if seen[codeA] == 0 || seen[codeB] == 0 || seen[codeA] != seen[codeB] {
		t.Errorf("tile %v: grids per county %v, want the same town under both codes", tile, seen)
	}

	// Hot spots over both cities' cases (the demo's twelve months and
	// ours): the province counts each case its city counts, once.
	hotspotCases := func(ta *testApp, token, path string) int {
		t.Helper()
		res := ta.do("GET", path, token, nil, nil)
		if res.Status != 200 {
			t.Fatalf("hot spots %s: %d %s", path, res.Status, res.Body)
		}
		var hs struct {
			Features []struct{ Properties map[string]any } `json:"features"`
		}
		res.decode(t, &hs)
		n := 0
		for _, f := range hs.Features {
			n += int(f.Properties["count"].(float64))
		}
		return n
	}
	ha, hb := hotspotCases(cityA, centerA, "/api/v1/hotspots"), hotspotCases(cityB, centerB, "/api/v1/hotspots")
	if hp := hotspotCases(prov, padmin, "/api/v1/province/hotspots"); hp != ha+hb || ha < 4 || hb < 2 {
		t.Errorf("province hot spots count %d cases; city A %d, city B %d", hp, ha, hb)
	}
	step("stats, tiles and hot spots compared")

	// The console on the province instance, on these figures (both cities
	// up; this month: A reported four cases, B two).
	t.Run("Console", func(t *testing.T) {
		provinceConsole(t, prov, padmin, []string{codeA, codeB}, now.Format("2006-01"), sa.Reported+1+sb.Reported)
	})
	step("the province console checked")

	// Read-only: writes are a 405 problem naming the reason; a worker may
	// not read province figures; parent is refused by name.
	for _, w := range []struct{ method, path string }{
		{"POST", "/api/v1/province/stats"}, {"POST", "/api/v1/cases"}, {"PATCH", "/api/v1/grids/" + ownGrid}, {"DELETE", "/api/v1/province/cities"},
	} {
		res := prov.do(w.method, w.path, padmin, map[string]any{}, nil)
		if res.Status != 405 || !bytes.Contains(res.Body, []byte(`"reason":"province_read_only"`)) || res.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s %s on the province: %d %s (Allow %q)", w.method, w.path, res.Status, res.Body, res.Header.Get("Allow"))
		}
	}
	if res := prov.do("GET", "/api/v1/province/stats?"+period, prov.login("worker"), nil, nil); res.Status != 403 {
		t.Errorf("a worker read province stats: %d", res.Status)
	}
	if res := prov.do("GET", "/api/v1/province/stats?"+period, "", nil, nil); res.Status != 401 {
		t.Errorf("anonymous province stats: %d", res.Status)
	}
	if res := prov.do("GET", "/api/v1/province/hotspots?parent="+ownGrid, padmin, nil, nil); res.Status != 400 || !bytes.Contains(res.Body, []byte(`"parent_not_supported"`)) {
		t.Errorf("province hot spots with parent: %d %s", res.Status, res.Body)
	}
	if res := prov.do("GET", "/api/v1/grids?level=3", padmin, nil, nil); res.Status != 404 {
		t.Errorf("a city route on the province: %d", res.Status)
	}

	step("read-only and access checked")
	// City B goes away: the province keeps answering with B's last figures
	// and keeps receiving A's cases.
	if err := clB.Stop(); err != nil {
		t.Fatal(err)
	}
	report(cityA, centerA, 311)
	waitFor("city A's case while city B is down", 30*time.Second, func() bool {
		st := readProv()
		_, _, ra := county(st, codeA)
		_, _, rb := county(st, codeB)
		return ra == 5 && rb == 2
	})
	step("city B stopped; the province answered and got city A's case")
	waitFor("city B shown disconnected", 30*time.Second, func() bool {
		res := prov.do("GET", "/api/v1/province/cities", padmin, nil, nil)
		if res.Status != 200 {
			t.Fatalf("province cities: %d %s", res.Status, res.Body)
		}
		var cs struct{ Cities []province.City }
		res.decode(t, &cs)
		for _, c := range cs.Cities {
			if c.CountyCode == codeB {
				return !c.Connected
			}
		}
		return false
	})
	step("city B shown disconnected")
}
