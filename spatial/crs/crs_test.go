package crs

import (
	"math"
	"strings"
	"testing"
)

// earthRadius is the mean Earth radius in metres (IUGG).
const earthRadius = 6371008.8

// haversine returns the great-circle distance in metres between two
// (lon, lat) points given in degrees.
func haversine(lon1, lat1, lon2, lat2 float64) float64 {
	const rad = math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLon := (lon2 - lon1) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadius * math.Asin(math.Sqrt(h))
}

type point struct{ lon, lat float64 }

func near(a, b point, tol float64) bool {
	return math.Abs(a.lon-b.lon) <= tol && math.Abs(a.lat-b.lat) <= tol
}

// TestForwardVectors checks the forward transforms against published
// input/output pairs of other independent implementations of the same
// public formulas.
func TestForwardVectors(t *testing.T) {
	cases := []struct {
		name string
		f    func(float64, float64) (float64, float64)
		in   point
		want point
		tol  float64
	}{
		{
			// wandergis/coordtransform README and test/app.js (Beijing,
			// Tiananmen area).
			name: "wgs84 to gcj02 beijing coordtransform",
			f:    WGS84ToGCJ02,
			in:   point{116.404, 39.915},
			want: point{116.41024449916938, 39.91640428150164},
			tol:  1e-9,
		},
		{
			// wandergis/coordtransform README and test/app.js.
			name: "gcj02 to bd09 beijing coordtransform",
			f:    GCJ02ToBD09,
			in:   point{116.404, 39.915},
			want: point{116.41036949371029, 39.92133699351021},
			tol:  1e-9,
		},
		{
			// Composite published by several ports of coordtransform.
			name: "wgs84 to bd09 beijing coordtransform",
			f:    WGS84ToBD09,
			in:   point{116.404, 39.915},
			want: point{116.41662724378733, 39.922699552216216},
			tol:  1e-9,
		},
		{
			// Test vector of a Python geo toolbox (agrees to ~1e-7).
			name: "wgs84 to gcj02 hebei 116E 40N",
			f:    WGS84ToGCJ02,
			in:   point{116.0, 40.0},
			want: point{116.006141221789, 40.001213650174},
			tol:  1e-6,
		},
		{
			// Test vector of a Rust geotool CLI, Zhejiang (agrees to ~1e-7).
			name: "wgs84 to gcj02 zhejiang geotool",
			f:    WGS84ToGCJ02,
			in:   point{121.0917077, 30.6107779},
			want: point{121.09626935575027, 30.608604331756705},
			tol:  1e-6,
		},
		{
			name: "wgs84 to bd09 zhejiang geotool",
			f:    WGS84ToBD09,
			in:   point{121.0917077, 30.6107779},
			want: point{121.10271732371203, 30.61484572185035},
			tol:  1e-6,
		},
		{
			name: "gcj02 to bd09 applies outside china",
			f:    GCJ02ToBD09,
			in:   point{0, 0},
			want: point{0.0065, 0.006},
			tol:  1e-12,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lon, lat := tc.f(tc.in.lon, tc.in.lat)
			if got := (point{lon, lat}); !near(got, tc.want, tc.tol) {
				t.Errorf("got (%.12f, %.12f), want (%.12f, %.12f) ±%g", lon, lat, tc.want.lon, tc.want.lat, tc.tol)
			}
		})
	}
}

// TestInverseVectors checks the inverses against published values. Those
// were produced with the common one-step approximations, which are off by
// up to ~1e-6 degrees, so a looser tolerance is used; the exact round trip
// is checked separately.
func TestInverseVectors(t *testing.T) {
	cases := []struct {
		name string
		f    func(float64, float64) (float64, float64)
		fwd  func(float64, float64) (float64, float64)
		in   point
		want point
	}{
		{
			name: "gcj02 to wgs84 beijing coordtransform",
			f:    GCJ02ToWGS84,
			fwd:  WGS84ToGCJ02,
			in:   point{116.404, 39.915},
			want: point{116.39775550083061, 39.91359571849836},
		},
		{
			name: "bd09 to gcj02 beijing coordtransform",
			f:    BD09ToGCJ02,
			fwd:  GCJ02ToBD09,
			in:   point{116.404, 39.915},
			want: point{116.39762729119315, 39.90865673957631},
		},
		{
			name: "bd09 to wgs84 zhejiang geotool",
			f:    BD09ToWGS84,
			fwd:  WGS84ToBD09,
			in:   point{121.10271732371203, 30.61484572185035},
			want: point{121.0917077, 30.6107779},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lon, lat := tc.f(tc.in.lon, tc.in.lat)
			if got := (point{lon, lat}); !near(got, tc.want, 2e-6) {
				t.Errorf("got (%.12f, %.12f), want (%.12f, %.12f) ±2e-6", lon, lat, tc.want.lon, tc.want.lat)
			}
			// The iterated inverse must reproduce the input exactly.
			blon, blat := tc.fwd(lon, lat)
			if d := haversine(blon, blat, tc.in.lon, tc.in.lat); d > 0.001 {
				t.Errorf("forward of inverse is %.4f m from input", d)
			}
		})
	}
}

// TestRoundTripLattice checks ToWGS84(FromWGS84(p)) == p within 0.1 m and
// plausible forward offsets over a dense lattice covering China.
func TestRoundTripLattice(t *testing.T) {
	cases := []struct {
		name      string
		sys       System
		maxOffset float64 // metres
	}{
		// GCJ-02 offsets are roughly 40-700 m over this area.
		{name: "gcj02", sys: GCJ02, maxOffset: 1000},
		// BD-09 adds its own ~700 m shift on top of GCJ-02.
		{name: "bd09", sys: BD09, maxOffset: 2000},
		{name: "cgcs2000", sys: CGCS2000, maxOffset: 0},
		{name: "wgs84", sys: WGS84, maxOffset: 0},
	}
	const step = 0.25
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n, worstRT, worstOff := 0, 0.0, 0.0
			for i := 0; 73+float64(i)*step <= 135; i++ {
				for j := 0; 18+float64(j)*step <= 53; j++ {
					lon, lat := 73+float64(i)*step, 18+float64(j)*step
					if OutOfChina(lon, lat) {
						continue
					}
					n++
					flon, flat := FromWGS84(tc.sys, lon, lat)
					off := haversine(lon, lat, flon, flat)
					worstOff = math.Max(worstOff, off)
					if off > tc.maxOffset || (tc.maxOffset > 0 && off < 1) {
						t.Errorf("(%g, %g): forward offset %.3f m outside (1, %g] m", lon, lat, off, tc.maxOffset)
					}
					rlon, rlat := ToWGS84(tc.sys, flon, flat)
					rt := haversine(lon, lat, rlon, rlat)
					worstRT = math.Max(worstRT, rt)
					if rt > 0.1 {
						t.Errorf("(%g, %g): round trip error %.4f m > 0.1 m", lon, lat, rt)
					}
				}
			}
			if n < 30000 {
				t.Fatalf("lattice has only %d points", n)
			}
			t.Logf("%d points, max offset %.1f m, max round-trip error %.2g m", n, worstOff, worstRT)
		})
	}
}

func TestOutOfChinaUnchanged(t *testing.T) {
	cases := []struct {
		name     string
		lon, lat float64
	}{
		{name: "tokyo", lon: 139.6917, lat: 35.6895},
		{name: "london", lon: -0.1276, lat: 51.5072},
		{name: "sydney", lon: 151.2093, lat: -33.8688},
		{name: "null island", lon: 0, lat: 0},
		{name: "west of rectangle", lon: 72.0, lat: 40},
		{name: "east of rectangle", lon: 137.84, lat: 40},
		{name: "south of rectangle", lon: 110, lat: 0.8},
		{name: "north of rectangle", lon: 120, lat: 55.83},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !OutOfChina(tc.lon, tc.lat) {
				t.Fatalf("OutOfChina(%g, %g) = false", tc.lon, tc.lat)
			}
			if lon, lat := WGS84ToGCJ02(tc.lon, tc.lat); lon != tc.lon || lat != tc.lat {
				t.Errorf("WGS84ToGCJ02 = (%g, %g), want unchanged", lon, lat)
			}
			if lon, lat := GCJ02ToWGS84(tc.lon, tc.lat); lon != tc.lon || lat != tc.lat {
				t.Errorf("GCJ02ToWGS84 = (%g, %g), want unchanged", lon, lat)
			}
			// BD-09 still applies its own shift, and still round-trips.
			blon, blat := WGS84ToBD09(tc.lon, tc.lat)
			if blon == tc.lon && blat == tc.lat {
				t.Errorf("WGS84ToBD09 left the point unchanged")
			}
			if glon, glat := BD09ToGCJ02(blon, blat); haversine(glon, glat, tc.lon, tc.lat) > 0.1 {
				t.Errorf("BD09ToGCJ02 round trip = (%g, %g)", glon, glat)
			}
		})
	}
}

func TestOutOfChina(t *testing.T) {
	cases := []struct {
		name     string
		lon, lat float64
		want     bool
	}{
		{name: "beijing", lon: 116.404, lat: 39.915, want: false},
		{name: "urumqi", lon: 87.6168, lat: 43.8256, want: false},
		{name: "sanya", lon: 109.5119, lat: 18.2528, want: false},
		{name: "harbin", lon: 126.5349, lat: 45.8038, want: false},
		{name: "west edge inside", lon: 72.005, lat: 40, want: false},
		{name: "west edge outside", lon: 72.003, lat: 40, want: true},
		{name: "east edge outside", lon: 137.8348, lat: 40, want: true},
		{name: "south edge outside", lon: 110, lat: 0.8292, want: true},
		{name: "north edge outside", lon: 120, lat: 55.8272, want: true},
		{name: "new york", lon: -74.006, lat: 40.7128, want: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := OutOfChina(tc.lon, tc.lat); got != tc.want {
				t.Errorf("OutOfChina(%g, %g) = %v, want %v", tc.lon, tc.lat, got, tc.want)
			}
		})
	}
}

// TestInverseNearBorder checks that the iterated inverse stays finite and
// close to the input next to the discontinuity at the rectangle's edge.
func TestInverseNearBorder(t *testing.T) {
	cases := []struct {
		name     string
		lon, lat float64
	}{
		{name: "west edge", lon: 72.0045, lat: 40},
		{name: "east edge", lon: 137.834, lat: 40},
		{name: "south edge", lon: 110, lat: 0.8294},
		{name: "north edge", lon: 120, lat: 55.827},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lon, lat := GCJ02ToWGS84(tc.lon, tc.lat)
			if math.IsNaN(lon) || math.IsNaN(lat) || haversine(lon, lat, tc.lon, tc.lat) > 1000 {
				t.Errorf("GCJ02ToWGS84(%g, %g) = (%g, %g)", tc.lon, tc.lat, lon, lat)
			}
		})
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		want    System
		wantErr bool
	}{
		{name: "empty", in: "", want: WGS84},
		{name: "wgs84", in: "wgs84", want: WGS84},
		{name: "wgs84 upper", in: "WGS84", want: WGS84},
		{name: "epsg 4326", in: "EPSG:4326", want: WGS84},
		{name: "crs84", in: "CRS84", want: WGS84},
		{name: "cgcs2000", in: "CGCS2000", want: CGCS2000},
		{name: "epsg 4490", in: "epsg:4490", want: CGCS2000},
		{name: "gcj02", in: "GCJ02", want: GCJ02},
		{name: "bd09", in: "Bd09", want: BD09},
		{name: "surrounding space", in: " gcj02 ", want: GCJ02},
		{name: "unknown", in: "mars", wantErr: true},
		{name: "other epsg", in: "epsg:3857", wantErr: true},
		{name: "typo", in: "wgs 84", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("Parse(%q) = %q, want error", tc.in, got)
				}
				for _, v := range []string{"wgs84", "epsg:4326", "crs84", "cgcs2000", "epsg:4490", "gcj02", "bd09"} {
					if !strings.Contains(err.Error(), v) {
						t.Errorf("error %q does not list %q", err, v)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Errorf("Parse(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestUnknownSystemIdentity(t *testing.T) {
	for _, s := range []System{"", "mars", CGCS2000, WGS84} {
		if lon, lat := FromWGS84(s, 116.404, 39.915); lon != 116.404 || lat != 39.915 {
			t.Errorf("FromWGS84(%q) = (%g, %g), want unchanged", s, lon, lat)
		}
		if lon, lat := ToWGS84(s, 116.404, 39.915); lon != 116.404 || lat != 39.915 {
			t.Errorf("ToWGS84(%q) = (%g, %g), want unchanged", s, lon, lat)
		}
	}
}

func BenchmarkGCJ02ToWGS84(b *testing.B) {
	for b.Loop() {
		GCJ02ToWGS84(116.41024449916938, 39.91640428150164)
	}
}

func BenchmarkBD09ToWGS84(b *testing.B) {
	for b.Loop() {
		BD09ToWGS84(116.41662724378733, 39.922699552216216)
	}
}

func BenchmarkWGS84ToGCJ02(b *testing.B) {
	for b.Loop() {
		WGS84ToGCJ02(116.404, 39.915)
	}
}
