package layers

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"testing"

	shp "github.com/jonas-p/go-shp"
	"github.com/paulmach/orb"

	"github.com/gridd/gridd/spatial/crs"
)

// shapefileZip writes records of typ (POLYLINE or POLYGON) with CODE,
// NAME, KIND and UNIT into a zipped Shapefile.
func shapefileZip(t *testing.T, typ shp.ShapeType, attrs [][4]string, parts [][][]shp.Point) []byte {
	t.Helper()
	base := filepath.Join(t.TempDir(), "layer")
	w, err := shp.Create(base+".shp", typ)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SetFields([]shp.Field{shp.StringField("CODE", 20), shp.StringField("NAME", 40), shp.StringField("KIND", 20), shp.StringField("UNIT", 20)}); err != nil {
		t.Fatal(err)
	}
	for i, a := range attrs {
		var n int32
		if typ == shp.POLYGON {
			p := shp.Polygon(*shp.NewPolyLine(parts[i]))
			n = w.Write(&p)
		} else {
			n = w.Write(shp.NewPolyLine(parts[i]))
		}
		for j, v := range a {
			if err := w.WriteAttribute(int(n), j, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	w.Close()
	if _, err := os.Stat(base + "dbf"); err == nil { // go-shp v0.1.1 names the table "layerdbf"
		if err := os.Rename(base+"dbf", base+".dbf"); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, ext := range []string{".shp", ".shx", ".dbf"} {
		b, err := os.ReadFile(base + ext)
		if err != nil {
			t.Fatal(err)
		}
		f, _ := zw.Create("layer" + ext)
		f.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestParseShapefile: road sections from one-part PolyLines and zones
// from Polygons with their DBF attributes; a two-part line, a polygon in a
// road file and a missing code are problems naming the record.
func TestParseShapefile(t *testing.T) {
	line := func(pts ...[2]float64) []shp.Point {
		var out []shp.Point
		for _, p := range pts {
			out = append(out, shp.Point{X: p[0], Y: p[1]})
		}
		return out
	}
	roads := shapefileZip(t, shp.POLYLINE, [][4]string{{"r1", "经十路一段", "main", "jt"}, {"r2", "两段", "main", ""}, {"", "无编码", "main", ""}},
		[][][]shp.Point{{line([2]float64{117.5, 36.7}, [2]float64{117.51, 36.7})},
			{line([2]float64{117.5, 36.71}, [2]float64{117.51, 36.71}), line([2]float64{117.52, 36.71}, [2]float64{117.53, 36.71})},
			{line([2]float64{117.5, 36.72}, [2]float64{117.51, 36.72})}})
	items, probs, err := ParseShapefile(Roads, roads, crs.WGS84, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Code != "r1" || items[0].Name != "经十路一段" || items[0].Kind != "main" || items[0].Unit != "jt" {
		t.Fatalf("items %+v", items)
	}
	if ls, ok := items[0].Geom.(orb.LineString); !ok || len(ls) != 2 || ls[1] != (orb.Point{117.51, 36.7}) {
		t.Errorf("geometry %v", items[0].Geom)
	}
	if len(probs) != 2 || probs[0].Field != "features[1].geometry" || probs[0].Reason != "not_linestring" ||
		probs[1].Field != "features[2].properties.code" {
		t.Errorf("problems %+v", probs)
	}

	// Zones: a clockwise Shapefile ring is a polygon.
	sq := line([2]float64{117.5, 36.7}, [2]float64{117.5, 36.71}, [2]float64{117.51, 36.71}, [2]float64{117.51, 36.7}, [2]float64{117.5, 36.7})
	zones := shapefileZip(t, shp.POLYGON, [][4]string{{"seat", "驻地", "seat_area", ""}}, [][][]shp.Point{{sq}})
	items, probs, err = ParseShapefile(Zones, zones, crs.WGS84, nil)
	if err != nil || len(probs) != 0 || len(items) != 1 {
		t.Fatalf("zones: %v %+v %+v", err, probs, items)
	}
	if mp, ok := items[0].Geom.(orb.MultiPolygon); !ok || len(mp) != 1 || len(mp[0][0]) != 5 {
		t.Errorf("zone geometry %v", items[0].Geom)
	}
	// A polygon file read as roads: each record is a problem.
	_, probs, _ = ParseShapefile(Roads, zones, crs.WGS84, nil)
	if len(probs) != 1 || probs[0].Reason != "not_linestring" {
		t.Errorf("polygons as roads: %+v", probs)
	}
	// Not a ZIP: the reader's error.
	if _, _, err := ParseShapefile(Roads, []byte("PK\x03\x04 not really"), crs.WGS84, nil); err == nil {
		t.Error("a broken archive was read")
	}
}
