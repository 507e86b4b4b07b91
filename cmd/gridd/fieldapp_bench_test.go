package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"image/jpeg"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// BenchmarkFieldApp measures the field app in headless chromium (results in
// BENCHMARKS.md, "Field app"):
//
//   - first-load-slow4g: /m/ in a fresh browser context over an emulated
//     Slow 4G link (400 ms latency, 400 kbit/s down and up): compressed
//     JS+CSS bytes and the time until the sign-in form is usable;
//   - second-load-sw: the same page again, answered by the service worker;
//   - drain-500: 500 queued reports with a ~200 KB photo each plus 10,000
//     fixes drain after reconnecting; it counts cases and fixes on the
//     server afterwards (no duplicate) and the longest gap between
//     animation frames while draining (the page staying responsive).
//
// Each sub-benchmark runs once per b.N (the browser's own timings are
// reported as metrics).
func BenchmarkFieldApp(b *testing.B) {
	ta := newConsoleApp(b)
	base := ta.srv.URL
	at := pointIn(ownGrid, 6, 60)

	b.Run("first-load-slow4g", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			ctx := fieldTab(b, base, at[0], at[1])
			setNetwork(b, ctx, false, 400, 50_000, 50_000)
			cdpDo(b, ctx, "open", chromedp.Navigate(base+"/m/"))
			waitFor[bool](b, ctx, "the sign-in form", `!!document.querySelector('#login-submit')`)
			m := cdpGet(b, ctx, "timings", chromedp.Evaluate[[]float64](`(() => { let enc = 0;
				for (const e of performance.getEntriesByType('resource')) if (/\/m\/app\.(js|css)/.test(e.name)) enc += e.encodedBodySize;
				const nav = performance.getEntriesByType('navigation')[0];
				return [enc, performance.now(), nav.encodedBodySize] })()`))
			b.ReportMetric(m[0], "js+css-gz-bytes")
			b.ReportMetric(m[1], "ms-to-interactive")
			b.ReportMetric(m[2], "html-gz-bytes")
			tok := ta.login(ownGrid)
			plain := ta.do("GET", "/api/v1/me/today", tok, nil, map[string]string{"Accept-Encoding": "identity"})
			gz := ta.do("GET", "/api/v1/me/today", tok, nil, map[string]string{"Accept-Encoding": "gzip"})
			b.ReportMetric(float64(len(plain.Body)), "me-today-bytes")
			b.ReportMetric(float64(len(gz.Body)), "me-today-gz-bytes")
			waitController(b, ctx)
			cdpDo(b, ctx, "reload", chromedp.Reload())
			waitFor[bool](b, ctx, "the sign-in form", `!!document.querySelector('#login-submit')`)
			second := cdpGet(b, ctx, "second load", chromedp.Evaluate[float64](`performance.now()`))
			b.ReportMetric(second, "ms-second-load-sw")
		}
	})

	b.Run("drain-500", func(b *testing.B) {
		var img bytes.Buffer
		pic := image.NewRGBA(image.Rect(0, 0, 520, 390))
		x := uint32(7)
		for i := range pic.Pix {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			pic.Pix[i] = uint8(x)
		}
		if err := jpeg.Encode(&img, pic, &jpeg.Options{Quality: 92}); err != nil {
			b.Fatal(err)
		}
		b.Logf("photo: %d bytes", img.Len())
		for i := 0; i < b.N; i++ {
			ctx := fieldTab(b, base, at[0], at[1])
			fieldLogin(b, ctx, base, ownGrid)
			waitFor[bool](b, ctx, "the month loaded", `!!window.__griddM.S.month`)
			start := time.Now()
			setNetwork(b, ctx, true, 0, -1, -1)
			waitFor[bool](b, ctx, "offline", `!navigator.onLine`)
			walk := walkFixes(ownGrid, start.Add(-3*time.Hour), 10_000, time.Second)
			points := make([]string, len(walk))
			for k, f := range walk {
				points[k] = fmt.Sprintf(`{"t":%q,"lon":%v,"lat":%v,"accuracy_m":8}`, f["t"], f["lon"], f["lat"])
			}
			js := fmt.Sprintf(`(async () => {
				const bin = atob(%q); const u = new Uint8Array(bin.length); for (let i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);
				const blob = new Blob([u], { type: 'image/jpeg' });
				const Q = window.__griddM.Q; const S = window.__griddM.S;
				for (let i = 0; i < 500; i++) {
					await Q.add({ kind: 'report', key: Q.newKey(), photos: [{ key: Q.newKey(), blob }],
						body: { category: '0104', description: 'bench ' + i, lon: %v, lat: %v, reported_at: new Date().toISOString() } });
				}
				const pts = [%s];
				for (let i = 0; i < pts.length; i += 5000) await Q.add({ kind: 'fixes', key: Q.newKey(), worker: S.me.username, points: pts.slice(i, i + 5000) });
				window.__gap = 0; let last = performance.now();
				const tick = (t) => { window.__gap = Math.max(window.__gap, t - last); last = t; if (!window.__stop) requestAnimationFrame(tick); };
				requestAnimationFrame(tick);
				return (await Q.counts()).total })()`, base64.StdEncoding.EncodeToString(img.Bytes()), at[0], at[1], joinComma(points))
			n := cdpGet(b, ctx, "queue 500 reports and 10,000 fixes", chromedp.Evaluate[float64](js, chromedp.EvalAwaitPromise))
			if n != 502 {
				b.Fatalf("queued %v actions, want 502", n)
			}
			t0 := time.Now()
			setNetwork(b, ctx, false, 0, -1, -1)
			waitFor[bool](b, ctx, "the outbox drained", `window.__griddM.counts && window.__griddM.counts.total === 0`)
			drain := time.Since(t0)
			gap := cdpGet(b, ctx, "longest frame gap", chromedp.Evaluate[float64](`(window.__stop = true, window.__gap)`))
			var cases, fixes int
			u, err := ta.people.FindUserByUsername(context.Background(), ownGrid)
			if err != nil {
				b.Fatal(err)
			}
			bg := context.Background()
			if err := ta.db.Pool.QueryRow(bg, `SELECT count(*) FROM cases WHERE reporter_id = $1 AND description LIKE 'bench %' AND created_at >= $2`, u.ID, start).Scan(&cases); err != nil {
				b.Fatal(err)
			}
			if err := ta.db.Pool.QueryRow(bg, `SELECT count(*) FROM patrol_points WHERE worker_id = $1 AND t >= $2`, u.ID, start.Add(-3*time.Hour-time.Second)).Scan(&fixes); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(drain.Seconds(), "s-drain")
			b.ReportMetric(gap, "ms-longest-frame-gap")
			b.ReportMetric(float64(cases), "cases")
			b.ReportMetric(float64(fixes), "fixes")
			if cases != 500 || fixes != 10_000 {
				b.Errorf("after draining: %d cases, %d fixes; want 500 and 10000", cases, fixes)
			}
		}
	})
}

func joinComma(s []string) string {
	var b bytes.Buffer
	for i, x := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(x)
	}
	return b.String()
}
