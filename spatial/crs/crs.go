// Package crs converts between WGS84, CGCS2000, GCJ-02 and BD-09, the
// geographic coordinate systems in common use for maps of China.
//
//   - WGS84 is the World Geodetic System 1984 (EPSG:4326), used by GPS and
//     by most maps outside China.
//   - CGCS2000 is the China Geodetic Coordinate System 2000 (EPSG:4490), the
//     official national datum. Its ellipsoid and realisation differ from
//     WGS84 by well under 0.1 m, which is below the accuracy of everything
//     else in this package, so it is treated as identical to WGS84.
//   - GCJ-02 ("Mars coordinates") is the obfuscated datum mandated for
//     published maps in mainland China (AMap/Gaode, Tencent, Google Maps
//     in China). It adds a smooth, non-linear offset of a few hundred metres
//     to WGS84, computed on the Krasovsky 1940 ellipsoid.
//   - BD-09 is Baidu's datum: a further fixed polar perturbation and shift
//     applied on top of GCJ-02.
//
// The forward transforms use the widely published formulas. GCJ-02 and
// BD-09 have no closed-form inverse, so GCJ02ToWGS84 and BD09ToGCJ02 refine
// an initial estimate by fixed-point iteration until the forward transform
// of the result reproduces the input to within 1e-9 degrees (about 0.1 mm),
// with a bounded number of iterations.
//
// Out-of-China rule: the GCJ-02 offset is only applied inside a coarse
// bounding rectangle of China (see OutOfChina). Outside it GCJ-02 equals
// WGS84. BD-09 always applies its own perturbation relative to GCJ-02, in
// or out of China, as Baidu does.
//
// All functions take and return (longitude, latitude) in decimal degrees.
package crs

import (
	"fmt"
	"math"
	"strings"
)

// System identifies a geographic coordinate system.
type System string

// Supported coordinate systems.
const (
	WGS84    System = "wgs84"
	CGCS2000 System = "cgcs2000"
	GCJ02    System = "gcj02"
	BD09     System = "bd09"
)

// Parse returns the System named by s. Matching is case-insensitive and
// ignores surrounding white space. The empty string means WGS84;
// "epsg:4326" and "crs84" are accepted as WGS84 and "epsg:4490" as CGCS2000.
func Parse(s string) (System, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "wgs84", "epsg:4326", "crs84":
		return WGS84, nil
	case "cgcs2000", "epsg:4490":
		return CGCS2000, nil
	case "gcj02":
		return GCJ02, nil
	case "bd09":
		return BD09, nil
	}
	return "", fmt.Errorf("crs: unknown coordinate system %q (accepted: wgs84, epsg:4326, crs84, cgcs2000, epsg:4490, gcj02, bd09; empty means wgs84)", s)
}

// OutOfChina reports whether (lon, lat) lies outside the rough bounding
// rectangle of China used by the GCJ-02 algorithm. It is a rectangle, not
// the national border: some neighbouring areas count as "in China".
func OutOfChina(lon, lat float64) bool {
	return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271
}

// Parameters of the GCJ-02 and BD-09 algorithms.
const (
	krasovskyA  = 6378245.0              // Krasovsky 1940 semi-major axis, metres
	krasovskyEE = 0.00669342162296594323 // Krasovsky 1940 first eccentricity squared
	bdXPi       = math.Pi * 3000.0 / 180.0

	// inverseTolerance is the convergence threshold of the iterated
	// inverses, in degrees (about 0.1 mm).
	inverseTolerance = 1e-9
	// maxInverseIterations bounds the iterated inverses. They normally
	// converge in 2-4 steps; the bound only matters near the
	// discontinuity at the edge of the OutOfChina rectangle.
	maxInverseIterations = 30
)

// gcjOffset returns the GCJ-02 offset (dLon, dLat) in degrees for a WGS84
// point, ignoring the out-of-China rule.
func gcjOffset(lon, lat float64) (float64, float64) {
	x, y := lon-105.0, lat-35.0

	// Shared "noise" term in x.
	common := (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0

	// Offsets in metres-like units on the Krasovsky ellipsoid.
	dLat := -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	dLat += common
	dLat += (20.0*math.Sin(y*math.Pi) + 40.0*math.Sin(y/3.0*math.Pi)) * 2.0 / 3.0
	dLat += (160.0*math.Sin(y/12.0*math.Pi) + 320.0*math.Sin(y/30.0*math.Pi)) * 2.0 / 3.0

	dLon := 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	dLon += common
	dLon += (20.0*math.Sin(x*math.Pi) + 40.0*math.Sin(x/3.0*math.Pi)) * 2.0 / 3.0
	dLon += (150.0*math.Sin(x/12.0*math.Pi) + 300.0*math.Sin(x/30.0*math.Pi)) * 2.0 / 3.0

	// Convert to degrees using the meridian and prime-vertical radii of
	// curvature of the Krasovsky ellipsoid at this latitude.
	radLat := lat / 180.0 * math.Pi
	s := math.Sin(radLat)
	w2 := 1.0 - krasovskyEE*s*s
	w := math.Sqrt(w2)
	meridian := krasovskyA * (1.0 - krasovskyEE) / (w2 * w)
	primeVertical := krasovskyA / w
	dLat = dLat * 180.0 / (meridian * math.Pi)
	dLon = dLon * 180.0 / (primeVertical * math.Cos(radLat) * math.Pi)
	return dLon, dLat
}

// WGS84ToGCJ02 converts a WGS84 point to GCJ-02. Points for which
// OutOfChina is true are returned unchanged.
func WGS84ToGCJ02(lon, lat float64) (float64, float64) {
	if OutOfChina(lon, lat) {
		return lon, lat
	}
	dLon, dLat := gcjOffset(lon, lat)
	return lon + dLon, lat + dLat
}

// GCJ02ToWGS84 converts a GCJ-02 point to WGS84. The out-of-China rule is
// applied to the GCJ-02 input: such points are returned unchanged.
// Otherwise the inverse is found by fixed-point iteration on WGS84ToGCJ02
// until the round trip error is below 1e-9 degrees, with a bounded number
// of iterations (the residual is far below 0.1 m in China).
func GCJ02ToWGS84(lon, lat float64) (float64, float64) {
	if OutOfChina(lon, lat) {
		return lon, lat
	}
	return invert(WGS84ToGCJ02, lon, lat, lon, lat)
}

// invert solves f(x, y) = (tx, ty) for (x, y) starting from (x0, y0) by
// the fixed-point iteration p <- p - (f(p) - t). It converges quickly
// because f is the identity plus a slowly varying offset. The best
// estimate seen is returned if the iteration does not converge.
func invert(f func(float64, float64) (float64, float64), tx, ty, x0, y0 float64) (float64, float64) {
	x, y := x0, y0
	bestX, bestY, bestErr := x, y, math.Inf(1)
	for range maxInverseIterations {
		fx, fy := f(x, y)
		ex, ey := fx-tx, fy-ty
		e := math.Max(math.Abs(ex), math.Abs(ey))
		if e < bestErr {
			bestX, bestY, bestErr = x, y, e
		}
		if e < inverseTolerance {
			break
		}
		x -= ex
		y -= ey
	}
	return bestX, bestY
}

// GCJ02ToBD09 converts a GCJ-02 point to BD-09. The BD-09 perturbation is
// applied everywhere, including outside China, as Baidu does.
func GCJ02ToBD09(lon, lat float64) (float64, float64) {
	z := math.Hypot(lon, lat) + 0.00002*math.Sin(lat*bdXPi)
	theta := math.Atan2(lat, lon) + 0.000003*math.Cos(lon*bdXPi)
	return z*math.Cos(theta) + 0.0065, z*math.Sin(theta) + 0.006
}

// BD09ToGCJ02 converts a BD-09 point to GCJ-02, everywhere (see
// GCJ02ToBD09). It starts from the commonly published approximate inverse
// (error up to about a metre) and refines it by fixed-point iteration on
// GCJ02ToBD09 until the round trip error is below 1e-9 degrees.
func BD09ToGCJ02(lon, lat float64) (float64, float64) {
	x, y := lon-0.0065, lat-0.006
	z := math.Hypot(x, y) - 0.00002*math.Sin(y*bdXPi)
	theta := math.Atan2(y, x) - 0.000003*math.Cos(x*bdXPi)
	return invert(GCJ02ToBD09, lon, lat, z*math.Cos(theta), z*math.Sin(theta))
}

// WGS84ToBD09 converts a WGS84 point to BD-09 via GCJ-02. Outside China
// only the BD-09 perturbation is applied.
func WGS84ToBD09(lon, lat float64) (float64, float64) {
	return GCJ02ToBD09(WGS84ToGCJ02(lon, lat))
}

// BD09ToWGS84 converts a BD-09 point to WGS84 via GCJ-02; it inverts
// WGS84ToBD09.
func BD09ToWGS84(lon, lat float64) (float64, float64) {
	return GCJ02ToWGS84(BD09ToGCJ02(lon, lat))
}

// ToWGS84 converts a point in system s to WGS84. WGS84 and CGCS2000 points
// are returned unchanged, as are points in an unknown system (validate
// names with Parse).
func ToWGS84(s System, lon, lat float64) (float64, float64) {
	switch s {
	case GCJ02:
		return GCJ02ToWGS84(lon, lat)
	case BD09:
		return BD09ToWGS84(lon, lat)
	}
	return lon, lat
}

// FromWGS84 converts a WGS84 point to system s. For WGS84, CGCS2000 and
// unknown systems the point is returned unchanged (validate names with
// Parse).
func FromWGS84(s System, lon, lat float64) (float64, float64) {
	switch s {
	case GCJ02:
		return WGS84ToGCJ02(lon, lat)
	case BD09:
		return WGS84ToBD09(lon, lat)
	}
	return lon, lat
}

// MetresPerDegree returns the lengths in metres of a degree of longitude
// and of latitude at latitude lat on the WGS84 ellipsoid (from its radii
// of curvature there): the scale of a local equirectangular frame, whose
// distances are accurate to well under 0.1% within a few kilometres.
func MetresPerDegree(lat float64) (lonM, latM float64) {
	const a = 6378137.0
	const f = 1 / 298.257223563
	e2 := f * (2 - f)
	phi := lat * math.Pi / 180
	s := math.Sin(phi)
	w := 1 - e2*s*s
	n := a / math.Sqrt(w)                  // prime vertical radius
	m := a * (1 - e2) / (w * math.Sqrt(w)) // meridian radius
	return n * math.Cos(phi) * math.Pi / 180, m * math.Pi / 180
}
