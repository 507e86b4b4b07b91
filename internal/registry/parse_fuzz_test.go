package registry

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"testing"

	shp "github.com/jonas-p/go-shp"
)

// The hand-written readers of outside input — GeoJSON, the Shapefile
// zip, its .shp records and .dbf table — must answer any bytes with
// features, problems or an error, never a panic or a hang. `make test`
// runs the seed corpus; `make fuzz` runs each target for longer.

func FuzzParseGeoJSON(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.geojson")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[]},"properties":{}}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[1e308,-1e308],[0,0]]]]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fs, _, err := ParseGeoJSON(bytes.NewReader(data))
		if err != nil && len(fs) > 0 {
			t.Fatalf("features and an error together")
		}
	})
}

func FuzzParseGeometryJSON(f *testing.F) {
	f.Add([]byte(`{"type":"Polygon","coordinates":[[[117.5,36.7],[117.6,36.7],[117.6,36.8],[117.5,36.7]]]}`))
	f.Add([]byte(`{"type":"MultiPolygon","coordinates":[[]]}`))
	f.Add([]byte(`{"type":"GeometryCollection","geometries":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParseGeometryJSON(data)
	})
}

// shapefileSeed is a two-record polygon Shapefile zipped with its .cpg.
func shapefileSeed(f *testing.F) (zipped, shpFile, dbfFile []byte) {
	dir := f.TempDir()
	base := filepath.Join(dir, "grids")
	w, err := shp.Create(base+".shp", shp.POLYGON)
	if err != nil {
		f.Fatal(err)
	}
	if err := w.SetFields([]shp.Field{shp.StringField("CODE", 15), shp.StringField("NAME", 50), shp.NumberField("LEVEL", 4), shp.StringField("PARENT", 15)}); err != nil {
		f.Fatal(err)
	}
	ring := []shp.Point{{X: 0, Y: 0}, {X: 0, Y: 1}, {X: 1, Y: 1}, {X: 1, Y: 0}, {X: 0, Y: 0}}
	p := shp.Polygon(*shp.NewPolyLine([][]shp.Point{ring}))
	n := w.Write(&p)
	for i, v := range []string{"110101001001000", "东华门社区", "2", "110101001000000"} {
		w.WriteAttribute(int(n), i, v)
	}
	w.Close()
	if _, err := os.Stat(base + "dbf"); err == nil {
		os.Rename(base+"dbf", base+".dbf")
	}
	shpFile, _ = os.ReadFile(base + ".shp")
	dbfFile, _ = os.ReadFile(base + ".dbf")
	shx, _ := os.ReadFile(base + ".shx")
	var buf bytes.Buffer
	zw := newZip(&buf)
	zw("grids.shp", shpFile)
	zw("grids.shx", shx)
	zw("grids.dbf", dbfFile)
	zw("grids.cpg", []byte("UTF-8"))
	zw("", nil)
	return buf.Bytes(), shpFile, dbfFile
}

func FuzzParseShapefileZip(f *testing.F) {
	z, _, _ := shapefileSeed(f)
	f.Add(z)
	f.Add(z[:len(z)/2])
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, _ = ParseShapefileZip(bytes.NewReader(data), int64(len(data)))
	})
}

func FuzzShapefileRecords(f *testing.F) {
	_, s, _ := shapefileSeed(f)
	f.Add(s)
	f.Add(s[:100])
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = shpReadShapes(bytes.NewReader(data), int64(len(data)))
	})
}

func FuzzDBF(f *testing.F) {
	_, _, d := shapefileSeed(f)
	f.Add(d)
	f.Add(d[:40])
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := shpParseDBF(data)
		if err == nil && tab != nil {
			_ = shpTextDecoder("", tab)
		}
	})
}

// newZip returns an adder of zip entries; a call with an empty name
// closes the archive.
func newZip(buf *bytes.Buffer) func(name string, body []byte) {
	zw := zip.NewWriter(buf)
	return func(name string, body []byte) {
		if name == "" {
			zw.Close()
			return
		}
		w, _ := zw.Create(name)
		w.Write(body)
	}
}
