package registry

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	shp "github.com/jonas-p/go-shp"
	"github.com/paulmach/orb"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/gridd/gridd/internal/errs"
)

const testWGS84PRJ = `GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`

// spt converts local test coordinates (see lp) to a go-shp point.
func spt(x, y float64) shp.Point {
	p := lp(x, y)
	return shp.Point{X: p[0], Y: p[1]}
}

// sring is a closed Shapefile ring over the local square [x0,x1]×[y0,y1]:
// clockwise (an exterior) or counter-clockwise (a hole).
func sring(x0, y0, x1, y1 float64, clockwise bool) []shp.Point {
	ccw := []shp.Point{spt(x0, y0), spt(x1, y0), spt(x1, y1), spt(x0, y1), spt(x0, y0)}
	if !clockwise {
		return ccw
	}
	for i, j := 0, len(ccw)-1; i < j; i, j = i+1, j-1 {
		ccw[i], ccw[j] = ccw[j], ccw[i]
	}
	return ccw
}

type shpRecord struct {
	parts                     [][]shp.Point
	code, name, level, parent string // raw DBF bytes
}

func gbk(t *testing.T, s string) string {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeShp writes the records with go-shp into dir and returns the paths of
// the .shp, .shx and .dbf.
func writeShp(t *testing.T, dir string, typ shp.ShapeType, recs []shpRecord) []string {
	t.Helper()
	base := filepath.Join(dir, "grids")
	w, err := shp.Create(base+".shp", typ)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SetFields([]shp.Field{shp.StringField("CODE", 15), shp.StringField("NAME", 50), shp.NumberField("LEVEL", 4), shp.StringField("PARENT", 15)}); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		var n int32
		if typ == shp.POINT {
			n = w.Write(&r.parts[0][0])
		} else {
			p := shp.Polygon(*shp.NewPolyLine(r.parts))
			n = w.Write(&p)
		}
		for i, v := range []string{r.code, r.name, r.level, r.parent} {
			if err := w.WriteAttribute(int(n), i, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	w.Close()
	// go-shp v0.1.1 names the table "gridsdbf" instead of "grids.dbf".
	if _, err := os.Stat(base + "dbf"); err == nil {
		if err := os.Rename(base+"dbf", base+".dbf"); err != nil {
			t.Fatal(err)
		}
	}
	return []string{base + ".shp", base + ".shx", base + ".dbf"}
}

// zipFiles zips files (under folder/) plus extra named contents.
func zipFiles(t *testing.T, folder string, files []string, extra map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, body []byte) {
		w, err := zw.Create(folder + name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(body)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		add(filepath.Base(f), b)
	}
	for name, body := range extra {
		add(name, []byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func parseZip(data []byte) ([]Feature, []Problem, error) {
	return ParseShapefileZip(bytes.NewReader(data), int64(len(data)))
}

// testRecords: a community with a hole, and a grid made of two exteriors
// where the hole listed last belongs to the second one.
func testRecords(name0, name1 string) []shpRecord {
	return []shpRecord{
		{parts: [][]shp.Point{sring(0, 0, 20, 20, true), sring(5, 5, 10, 10, false)},
			code: "110101001001000", name: name0, level: "2", parent: "110101001000000"},
		{parts: [][]shp.Point{sring(30, 0, 40, 10, true), sring(50, 0, 70, 20, true), sring(55, 5, 60, 10, false)},
			code: "110101001002001", name: name1, level: "3", parent: "110101001002000"},
	}
}

func checkTestRecords(t *testing.T, fs []Feature, ps []Problem, name0, name1 string) {
	t.Helper()
	if len(ps) != 0 {
		t.Fatalf("problems: %+v", ps)
	}
	if len(fs) != 2 {
		t.Fatalf("got %d features, want 2", len(fs))
	}
	f := fs[0]
	if f.Index != 0 || f.Code != "110101001001000" || f.Name != name0 || f.Level != 2 || f.ParentCode != "110101001000000" {
		t.Errorf("feature 0 = %+v", f)
	}
	if len(f.Geometry) != 1 || len(f.Geometry[0]) != 2 {
		t.Errorf("feature 0: want one polygon with one hole, got %v", f.Geometry)
	}
	g := fs[1]
	if g.Index != 1 || g.Name != name1 || g.Level != 3 {
		t.Errorf("feature 1 = %+v", g)
	}
	if len(g.Geometry) != 2 || len(g.Geometry[0]) != 1 || len(g.Geometry[1]) != 2 {
		t.Errorf("feature 1: want the hole in the second polygon, got %v", g.Geometry)
	}
	norm, vps := ValidateFeatures(fs, Limits{})
	if len(vps) != 0 {
		t.Fatalf("validation problems: %+v", vps)
	}
	if norm[0].Geometry[0][0].Orientation() != orb.CCW || norm[0].Geometry[0][1].Orientation() != orb.CW {
		t.Error("validated geometry must be CCW exterior, CW hole")
	}
}

func TestParseShapefileZipEncodings(t *testing.T) {
	const name0, name1 = "东城区东华门社区", "东华门第一网格"
	tests := []struct {
		name   string
		encode func(t *testing.T, s string) string
		cpg    string // "" = no .cpg
	}{
		{"GBK with cpg GBK", gbk, "GBK"},
		{"GBK with cpg 936", gbk, "936\r\n"},
		{"GBK detected without cpg", gbk, ""},
		{"GBK although cpg says UTF-8", gbk, "UTF-8"},
		{"UTF-8 with cpg", func(_ *testing.T, s string) string { return s }, "UTF-8"},
		{"UTF-8 without cpg", func(_ *testing.T, s string) string { return s }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := writeShp(t, t.TempDir(), shp.POLYGON, testRecords(tc.encode(t, name0), tc.encode(t, name1)))
			extra := map[string]string{"grids.prj": testWGS84PRJ}
			if tc.cpg != "" {
				extra["grids.cpg"] = tc.cpg
			}
			fs, ps, err := parseZip(zipFiles(t, "export/", files, extra))
			if err != nil {
				t.Fatal(err)
			}
			checkTestRecords(t, fs, ps, name0, name1)
		})
	}
}

func TestParseShapefileZipPRJ(t *testing.T) {
	tests := []struct {
		name, prj string
		errHas    string // "" = accepted
	}{
		{"WGS84", testWGS84PRJ, ""},
		{"CGCS2000", `GEOGCS["China Geodetic Coordinate System 2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`, ""},
		{"WKT2 CGCS2000", `GEOGCRS["China Geodetic Coordinate System 2000",DATUM["China 2000",ELLIPSOID["CGCS2000",6378137,298.257222101]],CS[ellipsoidal,2]]`, ""},
		{"empty", "", ""},
		{"projected Gauss-Kruger", `PROJCS["CGCS2000_3_Degree_GK_CM_117E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]]],PROJECTION["Gauss_Kruger"]]`, "CGCS2000_3_Degree_GK_CM_117E"},
		{"web mercator", `PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]]],PROJECTION["Mercator_Auxiliary_Sphere"]]`, "Web_Mercator"},
		{"Beijing 1954", `GEOGCS["GCS_Beijing_1954",DATUM["D_Beijing_1954",SPHEROID["Krasovsky_1940",6378245.0,298.3]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`, "GCS_Beijing_1954"},
		{"garbage", `hello`, "cannot interpret"},
	}
	files := writeShp(t, t.TempDir(), shp.POLYGON, testRecords("a", "b"))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := parseZip(zipFiles(t, "", files, map[string]string{"grids.prj": tc.prj}))
			if tc.errHas == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			e, ok := errs.As(err)
			if !ok || e.Reason != "unsupported_crs" || e.Kind != errs.Invalid {
				t.Fatalf("err = %v, want Invalid unsupported_crs", err)
			}
			if !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("error %q does not name %q", err.Error(), tc.errHas)
			}
		})
	}
}

func TestParseShapefileZipGuards(t *testing.T) {
	files := writeShp(t, t.TempDir(), shp.POLYGON, testRecords("a", "b"))
	many := map[string]string{}
	for i := 0; i < ShapefileMaxEntries; i++ {
		many[fmt.Sprintf("junk%03d.txt", i)] = "x"
	}
	var bomb bytes.Buffer
	zw := zip.NewWriter(&bomb)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "grids.shp", Method: zip.Store, CompressedSize64: 3, UncompressedSize64: 600 << 20})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("abc"))
	zw.Close()

	tests := []struct {
		name   string
		data   []byte
		kind   errs.Kind
		reason string
	}{
		{"too many entries", zipFiles(t, "", files, many), errs.TooLarge, "archive_too_large"},
		{"declared size too large", bomb.Bytes(), errs.TooLarge, "archive_too_large"},
		{"not a zip", []byte("PK\x03\x04 definitely not a zip"), errs.Invalid, "invalid_shapefile"},
		{"no shp", zipFiles(t, "", files[2:], nil), errs.Invalid, "invalid_shapefile"},
		{"no dbf", zipFiles(t, "", files[:2], nil), errs.Invalid, "invalid_shapefile"},
		{"dbf of another layer", zipFiles(t, "", files[:2], map[string]string{"other.dbf": "x"}), errs.Invalid, "invalid_shapefile"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := parseZip(tc.data)
			e, ok := errs.As(err)
			if !ok || e.Kind != tc.kind || e.Reason != tc.reason {
				t.Fatalf("err = %v, want %v %s", err, tc.kind, tc.reason)
			}
		})
	}
}

func TestParseShapefileZipPointLayer(t *testing.T) {
	recs := []shpRecord{
		{parts: [][]shp.Point{{spt(0, 0)}}, code: "110101001001001", name: "a", level: "3", parent: "110101001001000"},
		{parts: [][]shp.Point{{spt(1, 1)}}, code: "110101001001002", name: "b", level: "3", parent: "110101001001000"},
	}
	files := writeShp(t, t.TempDir(), shp.POINT, recs)
	fs, ps, err := parseZip(zipFiles(t, "", files, nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 0 || len(ps) != 2 {
		t.Fatalf("features %v problems %+v: want every record rejected", fs, ps)
	}
	for i, p := range ps {
		if p.Reason != "not_polygon" || problemIndex(p) != i || p.Code != recs[i].code || p.Field != fmt.Sprintf("features[%d].geometry", i) {
			t.Errorf("problem %d = %+v", i, p)
		}
	}
}

func TestParseShapefileZipHostileRecord(t *testing.T) {
	files := writeShp(t, t.TempDir(), shp.POLYGON, testRecords("a", "b"))
	tests := []struct {
		name  string
		off   int // within record 0's content
		value uint32
	}{
		{"huge point count", 40, math.MaxInt32},
		{"negative part count", 36, 0xffffffff},
		{"part index out of range", 48, 1000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			binary.LittleEndian.PutUint32(b[100+8+tc.off:], tc.value)
			bad := filepath.Join(t.TempDir(), "grids.shp")
			if err := os.WriteFile(bad, b, 0o600); err != nil {
				t.Fatal(err)
			}
			fs, ps, err := parseZip(zipFiles(t, "", []string{bad, files[2]}, nil))
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != 1 || len(ps) != 1 || ps[0].Reason != "invalid_geometry" || problemIndex(ps[0]) != 0 || ps[0].Code != "110101001001000" {
				t.Fatalf("features %d, problems %+v: want record 0 rejected as invalid_geometry", len(fs), ps)
			}
		})
	}
	t.Run("truncated record", func(t *testing.T) {
		b, _ := os.ReadFile(files[0])
		bad := filepath.Join(t.TempDir(), "grids.shp")
		os.WriteFile(bad, b[:len(b)-7], 0o600)
		_, _, err := parseZip(zipFiles(t, "", []string{bad, files[2]}, nil))
		if e, ok := errs.As(err); !ok || e.Reason != "invalid_shapefile" {
			t.Fatalf("err = %v, want invalid_shapefile", err)
		}
	})
}

func TestWriteShapefileZipRoundTrip(t *testing.T) {
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	grids := []*Grid{
		{Code: "110101001001000", Name: "东华门社区", Level: 2, ParentCode: "110101001000000", AreaM2: 3712345.678, ValidFrom: now,
			Geometry: orb.MultiPolygon{{lsq(0, 0, 20, 20), reversed(lsq(5, 5, 10, 10))}}},
		// In the middle: go-shp's sequential reader drops a null shape at the very end.
		{Code: "110101001001002", Name: "no geometry", Level: 3, ParentCode: "110101001001000"},
		{Code: "110101001001001", Name: "东华门第一网格", Level: 3, ParentCode: "110101001001000", AreaM2: 85000, ValidFrom: now.Add(-time.Hour),
			Geometry: orb.MultiPolygon{{lsq(30, 0, 40, 10)}, {lsq(50, 0, 70, 20), reversed(lsq(55, 5, 60, 10))}}},
	}
	var buf bytes.Buffer
	if err := WriteShapefileZip(&buf, grids); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := WriteShapefileZip(&again, grids); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("the same grids must give the same bytes")
	}

	fs, ps, err := parseZip(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 0 || len(fs) != 3 {
		t.Fatalf("features %d problems %+v", len(fs), ps)
	}
	if fs[1].Geometry != nil {
		t.Errorf("a grid without geometry must come back without, got %v", fs[1].Geometry)
	}
	norm, vps := ValidateFeatures([]Feature{fs[0], fs[2]}, Limits{})
	if len(vps) != 0 {
		t.Fatalf("validation problems: %+v", vps)
	}
	for k, i := range []int{0, 2} {
		g, f := grids[i], norm[k]
		if f.Code != g.Code || f.Name != g.Name || f.Level != g.Level || f.ParentCode != g.ParentCode {
			t.Errorf("feature %d = %+v, want %+v", i, f, g)
		}
		want, _ := ValidateGeometry(g.Geometry, Limits{})
		if !f.Geometry.Equal(want) {
			t.Errorf("feature %d geometry\n got %v\nwant %v", i, f.Geometry, want)
		}
	}

	// Cross-check with go-shp's reader: shapes, winding and attributes.
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	open := func(name string) io.ReadCloser {
		f, err := zr.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	for _, name := range []string{"grids.shx", "grids.prj", "grids.cpg"} {
		open(name).Close()
	}
	if f := zr.File[0]; !f.Modified.Equal(now) {
		t.Errorf("zip timestamp %v, want the newest ValidFrom %v", f.Modified, now)
	}
	sr := shp.SequentialReaderFromExt(open("grids.shp"), open("grids.dbf"))
	defer sr.Close()
	var names []string
	for _, f := range sr.Fields() {
		names = append(names, f.String())
	}
	if got := strings.Join(names, ","); got != "CODE,NAME,LEVEL,PARENT,AREA_M2" {
		t.Errorf("DBF fields %s", got)
	}
	n := 0
	for sr.Next() {
		i, s := sr.Shape()
		if i != 1 {
			p, ok := s.(*shp.Polygon)
			if !ok {
				t.Fatalf("shape %d is %T", i, s)
			}
			end := len(p.Points)
			if len(p.Parts) > 1 {
				end = int(p.Parts[1])
			}
			ext := orb.Ring{}
			for _, pt := range p.Points[:end] {
				ext = append(ext, orb.Point{pt.X, pt.Y})
			}
			if ext.Orientation() != orb.CW {
				t.Errorf("shape %d: the exterior must be written clockwise", i)
			}
			area, _ := strconv.ParseFloat(strings.TrimSpace(sr.Attribute(4)), 64)
			if area != math.Round(grids[i].AreaM2*100)/100 {
				t.Errorf("shape %d: AREA_M2 %v, want %v", i, area, grids[i].AreaM2)
			}
		}
		if got := sr.Attribute(0); got != grids[i].Code {
			t.Errorf("shape %d: CODE %q", i, got)
		}
		n++
	}
	if err := sr.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("go-shp read %d shapes, want 3", n)
	}
}

func TestWriteShapefileZipNilGrid(t *testing.T) {
	if err := WriteShapefileZip(io.Discard, []*Grid{nil}); err == nil {
		t.Error("a nil grid must be an error")
	}
}
