package httpapi

import (
	"bytes"
	"testing"
	"time"

	"github.com/gridd/gridd/spatial/crs"
)

// FuzzParseGPX: any body is a clean error or points that toFixes either
// refuses with an error or turns into finite fixes; never a panic.
func FuzzParseGPX(f *testing.F) {
	f.Add([]byte(`<gpx><trk><trkseg><trkpt lat="36.7" lon="117.5"><time>2026-03-03T01:00:00Z</time><speed>1.2</speed></trkpt></trkseg></trk></gpx>`))
	f.Add([]byte(`<gpx version="1.1"><trk><trkseg><trkpt lat="NaN" lon="Inf"><time>x</time></trkpt></trkseg></trk></gpx>`))
	f.Add([]byte(`<gpx><trk><trkseg><trkpt lat="x" lon="1"/></trkseg></trk></gpx>`))
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaa">]><gpx>&a;</gpx>`))
	f.Add([]byte(``))
	now := time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		pts, err := parseGPX(bytes.NewReader(data))
		if err != nil {
			return
		}
		fixes, err := toFixes(crs.WGS84, pts, now)
		if err != nil {
			return
		}
		for _, x := range fixes {
			if !finite(x.Lon) || !finite(x.Lat) {
				t.Fatalf("non-finite fix accepted: %+v", x)
			}
		}
	})
}
