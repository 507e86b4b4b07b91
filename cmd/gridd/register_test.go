package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/demo"
	"github.com/gridd/gridd/internal/registers"
	"github.com/gridd/gridd/spatial/crs"
	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"
)

// testDataKey is the fixed key the tests seal protected fields with.
const testDataKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

func init() {
	if os.Getenv("GRIDD_DATA_KEY") == "" {
		os.Setenv("GRIDD_DATA_KEY", testDataKey)
	}
}

// regPointIn returns a point inside grid code (WGS84), at least awayM metres
// from its point on surface when awayM > 0.
func regPointIn(t testing.TB, ta *testApp, code string, awayM float64) (float64, float64) {
	t.Helper()
	var lon, lat float64
	q := `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM grid_versions WHERE code = $1 AND valid_to IS NULL) s`
	if awayM > 0 {
		q = `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(ST_Difference(geom,
			ST_Buffer(ST_PointOnSurface(geom)::geography, $2)::geometry)) AS p FROM grid_versions WHERE code = $1 AND valid_to IS NULL) s`
		if err := ta.db.Pool.QueryRow(context.Background(), q, code, awayM).Scan(&lon, &lat); err != nil {
			t.Fatal(err)
		}
		return lon, lat
	}
	if err := ta.db.Pool.QueryRow(context.Background(), q, code).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	return lon, lat
}

type importReport struct {
	Total, Accepted, Rejected, Stored int
	IDs                               []int64
	Problems                          []struct {
		Row    int
		Field  string
		Reason string
	}
}

type problemBody struct {
	Reason string
	Errors []struct {
		Field  string
		Index  *int
		Reason string
		Detail string
	}
}

func countRecords(t *testing.T, ta *testApp, kind string) int {
	t.Helper()
	var n int
	if err := ta.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM register_records WHERE kind = $1`, kind).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRegisterImportBadRows: a CSV with bad rows is rejected as a whole,
// each bad row named with its number and reason, nothing stored; with
// partial=true the good rows are stored and assigned to their grid.
func TestRegisterImportBadRows(t *testing.T) {
	ta := newTestApp(t, true)
	tok := ta.login("admin")
	lon, lat := regPointIn(t, ta, ownGrid, 0)
	csv := fmt.Sprintf("地址,经度,纬度,户人数\n"+
		"一号院1户,%[1]f,%[2]f,3\n"+
		"一号院2户,abc,%[2]f,2\n"+
		"一号院3户,%[1]f,%[2]f,0\n"+
		",%[1]f,%[2]f,2\n"+
		"一号院5户,%[2]f,%[1]f,2\n"+
		"一号院6户,%[1]f,%[2]f,4\n", lon, lat)
	res := ta.do("POST", "/api/v1/registers/households/import", tok, []byte(csv), nil)
	if res.Status != 422 {
		t.Fatalf("import with bad rows: %d %s", res.Status, res.Body)
	}
	var pb problemBody
	res.decode(t, &pb)
	want := map[int]string{3: "invalid_number", 4: "out_of_range", 5: "address_required", 6: "lat_lon_swapped"}
	got := map[int]string{}
	for _, e := range pb.Errors {
		if e.Index == nil || !strings.HasPrefix(e.Field, fmt.Sprintf("row %d:", *e.Index)) {
			t.Errorf("problem without its row number: %+v", e)
			continue
		}
		got[*e.Index] = e.Reason
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rejected rows: got %v, want %v", got, want)
	}
	if n := countRecords(t, ta, "household"); n != 0 {
		t.Fatalf("a rejected import stored %d households", n)
	}

	res = ta.do("POST", "/api/v1/registers/households/import?partial=true", tok, []byte(csv), nil)
	if res.Status != 201 {
		t.Fatalf("partial import: %d %s", res.Status, res.Body)
	}
	var rep importReport
	res.decode(t, &rep)
	if rep.Total != 6 || rep.Stored != 2 || rep.Rejected != 4 || len(rep.Problems) != 4 {
		t.Errorf("partial import report: %+v", rep)
	}
	var grids []string
	rows, _ := ta.db.Pool.Query(context.Background(), `SELECT coalesce(grid_code, '') FROM register_records WHERE kind = 'household' ORDER BY id`)
	for rows.Next() {
		var g string
		_ = rows.Scan(&g)
		grids = append(grids, g)
	}
	rows.Close()
	if len(grids) != 2 || grids[0] != ownGrid || grids[1] != ownGrid {
		t.Errorf("stored households' grids: %v, want two in %s", grids, ownGrid)
	}

	// People of the first household: a bad ID number and a missing household.
	hh := rep.IDs[0]
	people := fmt.Sprintf("姓名,户编号,身份证号,电话,标签\n张三,%[1]d,%[2]s,13800138000,独居老人\n李四,%[1]d,370102198001011230,13800138001,\n王五,999999,,13800138002,\n", hh, validID("37010219500101123"))
	res = ta.do("POST", "/api/v1/registers/people/import", tok, []byte(people), nil)
	if res.Status != 422 {
		t.Fatalf("people import: %d %s", res.Status, res.Body)
	}
	pb = problemBody{}
	res.decode(t, &pb)
	got = map[int]string{}
	for _, e := range pb.Errors {
		got[*e.Index] = e.Reason
	}
	if fmt.Sprint(got) != fmt.Sprint(map[int]string{3: "invalid_id_number", 4: "household_missing"}) {
		t.Errorf("people rows: %v", got)
	}
	if n := countRecords(t, ta, "person"); n != 0 {
		t.Fatalf("a rejected people import stored %d people", n)
	}

	// xlsx with a column mapping and GCJ-02 coordinates.
	glon, glat := crs.WGS84ToGCJ02(lon, lat)
	x := excelize.NewFile()
	for i, row := range [][]any{{"门牌地址", "经度", "纬度", "人数"}, {"二号院1户", glon, glat, 5}} {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := x.SetCellValue("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		t.Fatal(err)
	}
	res = ta.do("POST", "/api/v1/registers/households/import?crs=gcj02&map=门牌地址:address", tok, buf.Bytes(), nil)
	if res.Status != 201 {
		t.Fatalf("xlsx import: %d %s", res.Status, res.Body)
	}
	rep = importReport{}
	res.decode(t, &rep)
	var slon, slat float64
	var grid string
	if err := ta.db.Pool.QueryRow(context.Background(), `SELECT ST_X(point), ST_Y(point), grid_code FROM register_records WHERE id = $1`, rep.IDs[0]).Scan(&slon, &slat, &grid); err != nil {
		t.Fatal(err)
	}
	if math.Abs(slon-lon) > 1e-7 || math.Abs(slat-lat) > 1e-7 || grid != ownGrid {
		t.Errorf("GCJ-02 import stored (%f, %f) in %s, want (%f, %f) in %s", slon, slat, grid, lon, lat, ownGrid)
	}
}

// validID completes 17 digits with the GB 11643 check character.
func validID(first17 string) string {
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, c := range first17 {
		sum += int(c-'0') * w[i]
	}
	return first17 + string("10X98765432"[sum%11])
}

type regFeature struct {
	Properties map[string]any `json:"properties"`
}

// TestRegisterReassignAfterGridEdit: records get their grid on insert and
// on move, follow a grid edit, and are counted on the grid card.
func TestRegisterReassignAfterGridEdit(t *testing.T) {
	ta := newTestApp(t, true)
	ctx := context.Background()
	tok := ta.login("admin")
	lon, lat := regPointIn(t, ta, ownGrid, 60)
	res := ta.do("POST", "/api/v1/registers/households", tok, map[string]any{"address": "三号院1户", "lon": lon, "lat": lat, "size": 3}, nil)
	if res.Status != 201 {
		t.Fatalf("create household: %d %s", res.Status, res.Body)
	}
	var hh regFeature
	res.decode(t, &hh)
	if hh.Properties["grid_code"] != ownGrid {
		t.Fatalf("household assigned to %v, want %s", hh.Properties["grid_code"], ownGrid)
	}
	hid := int64(hh.Properties["id"].(float64))
	res = ta.do("POST", "/api/v1/registers/people", tok, map[string]any{"name": "赵六", "household_id": hid, "id_number": validID("37010219400101123"), "tags": []string{"elderly_alone"}}, nil)
	if res.Status != 201 {
		t.Fatalf("create person: %d %s", res.Status, res.Body)
	}
	var card regFeature
	ta.do("GET", "/api/v1/grids/"+ownGrid, tok, nil, nil).decode(t, &card)
	counts, _ := card.Properties["counts"].(map[string]any)
	if counts["households"] != 1.0 || counts["people"] != 1.0 {
		t.Errorf("grid card counts: %v", card.Properties["counts"])
	}

	// Shrink the grid to a small square away from the household: the
	// household falls into the gap and moves to the parent grid.
	var geom string
	if err := ta.db.Pool.QueryRow(ctx, `SELECT ST_AsGeoJSON(ST_Buffer(ST_PointOnSurface(geom)::geography, 20, 'quad_segs=1')::geometry, 8)
FROM grid_versions WHERE code = $1 AND valid_to IS NULL`, ownGrid).Scan(&geom); err != nil {
		t.Fatal(err)
	}
	g, err := ta.grids.FindGridByCode(ctx, ownGrid, nil)
	if err != nil {
		t.Fatal(err)
	}
	res = ta.do("PATCH", "/api/v1/grids/"+ownGrid+"?accept_gaps=true", tok, map[string]any{"geometry": json.RawMessage(geom)}, map[string]string{"If-Match": fmt.Sprintf(`"%d"`, g.Version)})
	if res.Status != 200 {
		t.Fatalf("patch grid: %d %s", res.Status, res.Body)
	}
	parent := g.ParentCode
	var hgrid, pgrid string
	if err := ta.db.Pool.QueryRow(ctx, `SELECT coalesce(h.grid_code, ''), coalesce(p.grid_code, '') FROM register_records h
JOIN register_records p ON p.household_id = h.id WHERE h.id = $1`, hid).Scan(&hgrid, &pgrid); err != nil {
		t.Fatal(err)
	}
	if hgrid != parent || pgrid != parent {
		t.Fatalf("after the grid edit the household is in %q and its person in %q, want both in the parent %s", hgrid, pgrid, parent)
	}
	var audit struct {
		Findings []struct{ Code, Reason string }
	}
	res = ta.do("GET", "/api/v1/audits/registers?parent="+parent, tok, nil, nil)
	if res.Status != 200 {
		t.Fatalf("register audit: %d %s", res.Status, res.Body)
	}
	res.decode(t, &audit)
	found := false
	for _, f := range audit.Findings {
		if f.Code == parent && f.Reason == "records_in_non_basic_grid" {
			found = true
		}
	}
	if !found {
		t.Errorf("the audit does not report the household in the gap: %+v", audit.Findings)
	}

	// Moving the household into another grid re-assigns it and its people.
	olon, olat := regPointIn(t, ta, otherGrid, 0)
	res = ta.do("PATCH", fmt.Sprintf("/api/v1/registers/households/%d", hid), tok, map[string]any{"lon": olon, "lat": olat}, nil)
	if res.Status != 200 {
		t.Fatalf("move household: %d %s", res.Status, res.Body)
	}
	if err := ta.db.Pool.QueryRow(ctx, `SELECT coalesce(h.grid_code, ''), coalesce(p.grid_code, '') FROM register_records h
JOIN register_records p ON p.household_id = h.id WHERE h.id = $1`, hid).Scan(&hgrid, &pgrid); err != nil {
		t.Fatal(err)
	}
	if hgrid != otherGrid || pgrid != otherGrid {
		t.Errorf("after the move: household in %q, person in %q, want %s", hgrid, pgrid, otherGrid)
	}
	// The worker of ownGrid may not read or move it now.
	wtok := ta.login(ownGrid)
	if res := ta.do("GET", fmt.Sprintf("/api/v1/registers/households/%d", hid), wtok, nil, nil); res.Status != 403 {
		t.Errorf("worker reads another grid's household: %d", res.Status)
	}
}

// TestRegisterCoverageAndLicences: records outside every grid and grids
// off the household norm are reported; a business's missing and expired
// licences are flagged.
func TestRegisterCoverageAndLicences(t *testing.T) {
	ta := newTestApp(t, true)
	tok := ta.login("admin")
	res := ta.do("POST", "/api/v1/registers/households", tok, map[string]any{"address": "界外1户", "lon": 100.0, "lat": 30.0}, nil)
	if res.Status != 201 {
		t.Fatalf("household outside: %d %s", res.Status, res.Body)
	}
	var out regFeature
	res.decode(t, &out)
	if out.Properties["grid_code"] != nil {
		t.Errorf("a household outside every grid got grid %v", out.Properties["grid_code"])
	}
	lon, lat := regPointIn(t, ta, ownGrid, 0)
	res = ta.do("POST", "/api/v1/registers/businesses", tok, map[string]any{"name": "好再来饭店", "category": "restaurant", "lon": lon, "lat": lat,
		"licences": []map[string]string{{"type": "business_licence", "number": "91370102MA0001", "expires": "2020-12-31"}, {"type": "food_hygiene", "number": "SP001"}}}, nil)
	if res.Status != 201 {
		t.Fatalf("business: %d %s", res.Status, res.Body)
	}
	var biz regFeature
	res.decode(t, &biz)
	flags := map[string]string{}
	for _, f := range biz.Properties["flags"].([]any) {
		m := f.(map[string]any)
		flags[m["item"].(string)] = m["reason"].(string)
	}
	want := map[string]string{"business_licence": "licence_expired", "tax_registration": "licence_missing", "health_certificate": "licence_missing"}
	if fmt.Sprint(flags) != fmt.Sprint(want) {
		t.Errorf("licence flags: %v, want %v", flags, want)
	}
	res = ta.do("POST", "/api/v1/registers/businesses", tok, map[string]any{"name": "无类型", "category": "spaceport", "lon": lon, "lat": lat}, nil)
	if res.Status != 400 || !bytes.Contains(res.Body, []byte("invalid_business_type")) {
		t.Errorf("unknown business type: %d %s", res.Status, res.Body)
	}

	var rep struct {
		Outside  []struct{ ID int64 }
		Findings []struct {
			Code   string
			Reason string
			Value  int
		}
		Clean bool
	}
	res = ta.do("GET", "/api/v1/audits/registers", tok, nil, nil)
	if res.Status != 200 {
		t.Fatalf("audit: %d %s", res.Status, res.Body)
	}
	res.decode(t, &rep)
	if len(rep.Outside) != 1 || rep.Clean {
		t.Errorf("outside records: %+v", rep.Outside)
	}
	off := false
	for _, f := range rep.Findings {
		if f.Code == ownGrid && f.Reason == "households_off_norm" && f.Value == 0 {
			off = true
		}
	}
	if !off {
		t.Errorf("grid %s with no households is not reported off the norm", ownGrid)
	}
	// A center scoped to a village sees no records outside every grid.
	if res := ta.do("GET", "/api/v1/audits/registers", ta.login(ownGrid), nil, nil); res.Status != 403 {
		t.Errorf("worker runs the register audit: %d", res.Status)
	}
}

// regHousehold stores a household inside grid through the service (for
// the route matrix) and returns its id.
func regHousehold(ta *testApp, grid string) int64 {
	ta.t.Helper()
	lon, lat := regPointIn(ta.t, ta, grid, 0)
	r := &registers.Record{Kind: registers.Household, Address: "矩阵测试户", Geometry: orb.Point{lon, lat}}
	if err := ta.registers.Create(context.Background(), auth.Operator(), r); err != nil {
		ta.t.Fatal(err)
	}
	return r.ID
}

// regHouseholdCSV is a one-row household CSV inside grid.
func regHouseholdCSV(ta *testApp, grid string) []byte {
	lon, lat := regPointIn(ta.t, ta, grid, 0)
	return []byte(fmt.Sprintf("地址,经度,纬度\n矩阵导入户,%f,%f\n", lon, lat))
}

// regKeyPerson stores a key person inside grid (responsible: that grid's
// worker) and returns its id.
func regKeyPerson(ta *testApp, grid string) int64 {
	ta.t.Helper()
	ctx := context.Background()
	lon, lat := regPointIn(ta.t, ta, grid, 0)
	u, err := ta.people.FindUserByUsername(ctx, grid)
	if err != nil {
		ta.t.Fatal(err)
	}
	k := &registers.KeyPerson{Category: "petitioner", Name: "矩阵测试", Point: &orb.Point{lon, lat}, ResponsibleUserID: u.ID,
		IDNumber: validID("37010219800101123"), CaseNotes: "测试"}
	if err := ta.keyPersons.Create(ctx, auth.Operator(), k, ""); err != nil {
		ta.t.Fatal(err)
	}
	return k.ID
}

// regKeyPersonBody is a POST /api/v1/keypersons body inside grid.
func regKeyPersonBody(ta *testApp, grid string) map[string]any {
	lon, lat := regPointIn(ta.t, ta, grid, 0)
	return map[string]any{"category": "drug_user", "name": "矩阵新建", "lon": lon, "lat": lat, "responsible": grid,
		"id_number": validID("37010219800101123")}
}

// TestImportRegistersCLI: `gridd import registers` stores good files,
// refuses bad ones whole, and `gridd audit registers` reports the result.
func TestImportRegistersCLI(t *testing.T) {
	ta := newTestApp(t, true)
	ctx := context.Background()
	url := ta.db.Pool.Config().ConnString()
	lon, lat := regPointIn(t, ta, ownGrid, 0)
	dir := t.TempDir()
	good := dir + "/good.csv"
	bad := dir + "/bad.csv"
	if err := os.WriteFile(good, []byte(fmt.Sprintf("名称,类型,经度,纬度,证照\n小超市,shop,%f,%f,business_licence|91370102X|2030-01-01;税务登记证|T1|\n", lon, lat)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(fmt.Sprintf("名称,类型,经度,纬度\n小超市,shop,%f,%f\n错类型,spaceport,%f,%f\n", lon, lat, lon, lat)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"import", "registers", "businesses", bad, "--database-url", url}); err == nil {
		t.Fatalf("a file with a bad row was accepted")
	}
	if n := countRecords(t, ta, "business"); n != 0 {
		t.Fatalf("the rejected file stored %d businesses", n)
	}
	if err := run(ctx, []string{"import", "registers", "businesses", good, "--database-url", url}); err != nil {
		t.Fatal(err)
	}
	var attrs string
	if err := ta.db.Pool.QueryRow(ctx, `SELECT attrs::text FROM register_records WHERE kind = 'business'`).Scan(&attrs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(attrs, "tax_registration") || !strings.Contains(attrs, "2030-01-01") {
		t.Errorf("licences not stored: %s", attrs)
	}
	// The demo has no register records: every basic grid is off the norm.
	if err := run(ctx, []string{"audit", "registers", "--database-url", url, "--parent", "370114001001000"}); err == nil {
		t.Errorf("gridd audit registers passed on an empty register")
	}
}

// TestDemoRegisters: the demo registers match the town's official figures,
// so the coverage audit finds no household or population gap, and every
// record lands in a grid.
func TestDemoRegisters(t *testing.T) {
	ta := newTestApp(t, true)
	ctx := context.Background()
	if err := seedDemoRegisters(ctx, ta.app, demo.Generate(dbtest.DemoSeed), dbtest.DemoSeed); err != nil {
		t.Fatal(err)
	}
	var households, people, outside int
	if err := ta.db.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE kind = 'household'), count(*) FILTER (WHERE kind = 'person'),
		count(*) FILTER (WHERE grid_code IS NULL) FROM register_records`).Scan(&households, &people, &outside); err != nil {
		t.Fatal(err)
	}
	if households != demo.TotalHouseholds || people != demo.TotalPopulation || outside != 0 {
		t.Errorf("demo registers: %d households, %d people, %d outside; want %d, %d, 0", households, people, outside, demo.TotalHouseholds, demo.TotalPopulation)
	}
	rep, err := ta.registers.Coverage(ctx, auth.Operator(), registers.CoverageOptions{On: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		if f.Reason == "population_mismatch" || f.Reason == "records_in_non_basic_grid" {
			t.Errorf("demo finding: %+v", f)
		}
	}
	var card regFeature
	ta.do("GET", "/api/v1/grids/"+demo.TownCode, ta.login("admin"), nil, nil).decode(t, &card)
	counts, _ := card.Properties["counts"].(map[string]any)
	if counts["households"] != float64(demo.TotalHouseholds) || counts["people"] != float64(demo.TotalPopulation) {
		t.Errorf("town card counts %v", counts)
	}
}
