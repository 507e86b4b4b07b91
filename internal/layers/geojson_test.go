package layers

import (
	"testing"

	"github.com/gridd/gridd/spatial/crs"
	"github.com/paulmach/orb"
)

func TestParseGeoJSON(t *testing.T) {
	zones := `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"seat","name":"驻地","kind":"seat_area","unit":"zfj"},"geometry":{"type":"Polygon","coordinates":[[[117.5,36.7],[117.51,36.7],[117.51,36.71],[117.5,36.71],[117.5,36.7]]]}},
{"type":"Feature","properties":{"code":"seat","name":"重复","kind":"seat_area"},"geometry":{"type":"Polygon","coordinates":[[[117.5,36.7],[117.51,36.7],[117.51,36.71],[117.5,36.7]]]}},
{"type":"Feature","properties":{"code":"road","name":"路","kind":"x"},"geometry":{"type":"LineString","coordinates":[[117.5,36.7],[117.51,36.7]]}}]}`
	items, probs, err := ParseGeoJSON(Zones, []byte(zones), crs.WGS84, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Unit != "zfj" || len(items[0].Geom.(orb.MultiPolygon)) != 1 {
		t.Errorf("items %+v", items)
	}
	if len(probs) != 2 || probs[0].Reason != "duplicate_code" || probs[1].Reason != "not_polygon" || *probs[1].Index != 2 {
		t.Errorf("problems %+v", probs)
	}
	roads := `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"jsl-1","name":"经十路","kind":"main","unit_code":"jtj"},"geometry":{"type":"LineString","coordinates":[[117.5,36.7],[117.51,36.7]]}},
{"type":"Feature","properties":{"code":"jsl-2","name":"经十路","kind":"main"},"geometry":{"type":"LineString","coordinates":[[117.5,36.7],[117.5,36.7]]}},
{"type":"Feature","properties":{"code":"jsl-3","name":"经十路","kind":"main"},"geometry":{"type":"LineString","coordinates":[[117.5,96.7],[117.5,36.7]]}},
{"type":"Feature","properties":{"code":"jsl-4","kind":7},"geometry":{"type":"LineString","coordinates":[[117.5,36.7],[117.6,36.7]]}}]}`
	items, probs, err = ParseGeoJSON(Roads, []byte(roads), crs.GCJ02, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Unit != "jtj" || items[0].Geom.(orb.LineString)[0] == (orb.Point{117.5, 36.7}) {
		t.Errorf("items %+v (GCJ-02 converted?)", items)
	}
	want := []string{"degenerate_line", "invalid_coordinates", "invalid_name", "invalid_kind"}
	if len(probs) != len(want) {
		t.Fatalf("problems %+v", probs)
	}
	for i, w := range want {
		if probs[i].Reason != w {
			t.Errorf("problem %d: %s, want %s", i, probs[i].Reason, w)
		}
	}
	if _, _, err := ParseGeoJSON(Roads, []byte(`{"type":"Feature"}`), crs.WGS84, nil); err == nil {
		t.Error("a Feature passed as a collection")
	}
}
