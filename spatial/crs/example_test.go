package crs_test

import (
	"fmt"

	"github.com/gridd/gridd/spatial/crs"
)

func ExampleGCJ02ToWGS84() {
	// A GCJ-02 point in Beijing, e.g. from AMap.
	lon, lat := crs.GCJ02ToWGS84(116.41024449916938, 39.91640428150164)
	fmt.Printf("%.6f %.6f\n", lon, lat)
	// Output: 116.404000 39.915000
}

func ExampleWGS84ToGCJ02() {
	lon, lat := crs.WGS84ToGCJ02(116.404, 39.915)
	fmt.Printf("%.6f %.6f\n", lon, lat)
	// Outside China GCJ-02 equals WGS84.
	lon, lat = crs.WGS84ToGCJ02(139.6917, 35.6895)
	fmt.Printf("%.6f %.6f\n", lon, lat)
	// Output:
	// 116.410244 39.916404
	// 139.691700 35.689500
}

func ExampleBD09ToWGS84() {
	lon, lat := crs.BD09ToWGS84(116.41662724378733, 39.922699552216216)
	fmt.Printf("%.6f %.6f\n", lon, lat)
	// Output: 116.404000 39.915000
}

func ExampleParse() {
	s, err := crs.Parse("EPSG:4490")
	fmt.Println(s, err)
	_, err = crs.Parse("mars")
	fmt.Println(err)
	// Output:
	// cgcs2000 <nil>
	// crs: unknown coordinate system "mars" (accepted: wgs84, epsg:4326, crs84, cgcs2000, epsg:4490, gcj02, bd09; empty means wgs84)
}

func ExampleFromWGS84() {
	s, _ := crs.Parse("bd09")
	lon, lat := crs.FromWGS84(s, 116.404, 39.915)
	fmt.Printf("%.6f %.6f\n", lon, lat)
	lon, lat = crs.ToWGS84(s, lon, lat)
	fmt.Printf("%.6f %.6f\n", lon, lat)
	// Output:
	// 116.416627 39.922700
	// 116.404000 39.915000
}
