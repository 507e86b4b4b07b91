package main

import (
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// BenchmarkReplicaReads serves the same reads — roads tiles (z15, the
// tile cache off so that every tile is rendered by PostGIS) and OGC API
// items pages of the level-3 grids — from one instance reading the
// primary and from one instance whose reads go to the streaming standby
// of that primary, in the same run on one database pair. 4 concurrent
// clients.
func BenchmarkReplicaReads(b *testing.B) {
	onStandby, _, _ := newReplicaApp(b, nil)
	onPrimary, _ := newTestAppURL(b, onStandby.db.Pool.Config().ConnString(), nil)
	for _, ta := range []*testApp{onStandby, onPrimary} {
		ta.tiles.Cache = nil
	}
	var tiles []string
	for x := 117.49; x < 117.57; x += 0.01 {
		for y := 36.66; y < 36.74; y += 0.01 {
			tiles = append(tiles, tilePath("roads", maptile.At(orb.Point{x, y}, 15)))
		}
	}
	var pages []string
	for off := 0; off < 200; off += 20 {
		pages = append(pages, fmt.Sprintf("/ogc/collections/grids-level-3/items?limit=20&offset=%d", off))
	}
	for _, kind := range []struct {
		name  string
		paths []string
	}{{"tiles", tiles}, {"ogc-items", pages}} {
		for _, target := range []struct {
			name string
			ta   *testApp
		}{{"primary", onPrimary}, {"replica", onStandby}} {
			b.Run(kind.name+"/"+target.name, func(b *testing.B) {
				tok := target.ta.login("center")
				before := onStandby.replica.Status()
				var i atomic.Int64
				b.ReportAllocs()
				b.SetParallelism(2)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						path := kind.paths[int(i.Add(1))%len(kind.paths)]
						req, _ := http.NewRequest("GET", target.ta.srv.URL+path, nil)
						req.Header.Set("Authorization", "Bearer "+tok)
						res, err := http.DefaultClient.Do(req)
						if err != nil {
							b.Error(err)
							return
						}
						_, _ = io.Copy(io.Discard, res.Body)
						res.Body.Close()
						if res.StatusCode != 200 {
							b.Errorf("%s: %d", path, res.StatusCode)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
				after := onStandby.replica.Status()
				if target.ta == onStandby && after.FellBack != before.FellBack {
					b.Errorf("%d reads fell back to the primary", after.FellBack-before.FellBack)
				}
			})
		}
	}
}
