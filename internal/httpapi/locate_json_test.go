package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/locate"
	"github.com/gridd/gridd/internal/registry"
	"github.com/gridd/gridd/spatial/crs"
	"github.com/gridd/gridd/spatial/gridindex/gridindextest"
	"github.com/paulmach/orb"
)

// The hand reader and writer of POST /api/v1/locate (locate_json.go) are
// checked against the previous handler, kept below as prevLocateMany
// (encoding/json into locateRequest, Service.Locate, the previous
// encoder): same status, headers and body, byte for byte, for valid bodies
// in every CRS and every JSON spelling, and for malformed ones. The grids
// are a tessellation served from memory: nothing here reads the database.

type memGrids []*registry.Grid

func (m memGrids) FindGrids(context.Context, registry.GridFilter) ([]*registry.Grid, error) {
	return m, nil
}

func locateTestServer(t testing.TB) (*Server, []orb.Point) {
	t.Helper()
	src := gridindextest.Tessellation(3, 12, 12, 117.4, 36.6, 0.005)
	grids := make(memGrids, len(src))
	for i, g := range src {
		// Names with characters encoding/json escapes, and Chinese.
		name := "网格 " + g.Code
		switch i % 7 {
		case 1:
			name += ` <东> & "西"`
		case 2:
			name += "\u2028\t\\"
		case 3:
			name += "\xff"
		}
		grids[i] = &registry.Grid{Code: g.Code, Name: name, Level: g.Level, Geometry: g.Geometry,
			ValidFrom: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	}
	svc := locate.New(grids)
	if err := svc.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Random points over the extent and beyond it, every vertex (on a
	// boundary) and every edge midpoint, and points far from every grid.
	rng := rand.New(rand.NewPCG(21, 1))
	var pts []orb.Point
	for range 3000 {
		pts = append(pts, orb.Point{117.38 + rng.Float64()*0.1, 36.58 + rng.Float64()*0.1})
	}
	for _, g := range src {
		ring := g.Geometry[0][0]
		for k := 0; k+1 < len(ring); k++ {
			a, b := ring[k], ring[k+1]
			pts = append(pts, a, orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2})
		}
	}
	pts = append(pts, orb.Point{0, 0}, orb.Point{-179.9999999, -89.5}, orb.Point{180, 90}, orb.Point{116.9, 36.2})
	return New(Deps{Locator: svc, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}), pts
}

type locateAnswer struct {
	status int
	header string
	body   string
}

func postLocate(s *Server, h handlerFunc, body []byte, contentType string) locateAnswer {
	req := httptest.NewRequest("POST", "/api/v1/locate", bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Body = http.MaxBytesReader(httptest.NewRecorder(), req.Body, MaxLocateBody)
	rec := httptest.NewRecorder()
	s.h(h)(rec, req)
	return locateAnswer{rec.Code, rec.Header().Get("Content-Type") + "; " + rec.Header().Get("Content-Length"), rec.Body.String()}
}

func TestLocateMany_matchesPrevious(t *testing.T) {
	s, pts := locateTestServer(t)
	rng := rand.New(rand.NewPCG(21, 2))
	// In a system, each WGS84 point as that system writes it.
	in := func(sys crs.System, p orb.Point) [2]float64 {
		x, y := crs.FromWGS84(sys, p[0], p[1])
		return [2]float64{x, y}
	}
	var bodies []string
	for _, c := range []string{"", "wgs84", "EPSG:4326", "crs84", "cgcs2000", "epsg:4490", "gcj02", "bd09", " GCJ02 "} {
		sys, _ := crs.Parse(c)
		for start := 0; start < len(pts); start += 1500 {
			chunk := pts[start:min(start+1500, len(pts))]
			xy := make([][2]float64, len(chunk))
			for i, p := range chunk {
				xy[i] = in(sys, p)
			}
			m := map[string]any{"points": xy}
			if c != "" {
				m["crs"] = c
			}
			b, _ := json.Marshal(m)
			bodies = append(bodies, string(b))
		}
	}
	// Other spellings of the same JSON: whitespace, key order, exponents,
	// 17 digits, integers, negative zero; at as a date and an instant.
	var sb strings.Builder
	sb.WriteString(" \n{ \"at\" : \"2026-01-02\" ,\r\n\t\"points\":[ ")
	for i, p := range pts[:800] {
		if i > 0 {
			sb.WriteString(" ,\n")
		}
		switch i % 4 {
		case 0:
			fmt.Fprintf(&sb, "[%e,%E]", p[0], p[1])
		case 1:
			fmt.Fprintf(&sb, "[ %.17g , %.17g ]", p[0], p[1])
		case 2:
			fmt.Fprintf(&sb, "[%.0f,%v]", p[0], p[1])
		default:
			fmt.Fprintf(&sb, "[%.3f, %.9f]", p[0], p[1])
		}
	}
	sb.WriteString(`, [-0.0, -0], [0.0000001e2, 1E-400]], "crs": "wgs84" } `)
	bodies = append(bodies, sb.String(),
		`{"points":[[117.43,36.63]],"at":"2026-03-01T08:00:00+08:00"}`,
		`{"points":[[117.43,36.63]],"at":"2024-01-01"}`,
		`{"points":[[117.43,36.63]],"crs":"","at":""}`,
	)
	// The hand reader takes all of those; the rest it leaves to
	// encoding/json (which refuses most).
	for i, body := range bodies {
		if !parseLocateRequest([]byte(body), &locateRequest{}) {
			t.Errorf("body %d (%.80q) left to encoding/json", i, body)
		}
	}
	bodies = append(bodies,
		``, ` `, `null`, `[]`, `{}`, `{"points":null}`, `{"points":[]}`, `{"points":[[117.5]]}`,
		`{"points":[[117.5,36.6,3]]}`, `{"points":[[null,36.6]]}`, `{"points":[["117.5",36.6]]}`,
		`{"points":[[1e400,36.6]]}`, `{"points":[[36.6,117.5]]}`, `{"points":[[200,100]]}`,
		`{"points":[[117.5,36.6],]}`, `{"points":[[01.5,36.6]]}`, `{"points":[[-,36.6]]}`,
		`{"points":[[.5,36.6]]}`, `{"points":[[1.,36.6]]}`, `{"points":[[+1,36.6]]}`,
		`{"points":[[117.5,36.6]]} ]`, `{"points":[[117.5,36.6]]} x`, `{"points":[[117.5,36.6]]}{"points":[]}`,
		"\xef\xbb\xbf{\"points\":[[117.5,36.6]]}", `{"Points":[[117.43,36.63]],"CRS":"GCJ02"}`,
		`{"points":[[117.43,36.63]],"points":[[117.44,36.64]]}`, `{"crs":"gcj02","crs":"bd09","points":[[117.43,36.63]]}`,
		`{"points":[[117.43,36.63]],"crs":"gcj\u0030"}`, `{"points":[[117.43,36.63]],"crs":"gcj02\u0000"}`,
		`{"points":[[117.43,36.63]],"at":"tomorrow"}`, `{"points":[[117.43,36.63]],"crs":"utm"}`,
		`{"points":[[117.43,36.63]],"crs":12}`, `{"points":[[117.43,36.63]],"extra":true}`,
		`{"points":[[117.43,36.63]]`, `{"points":[[117.43,36.63]],}`, `{"points" [[117.43,36.63]]}`,
		"{\"points\":[[117.43,36.63]],\"crs\":\"gcj\x0102\"}", "{\"points\":[[117.43,36.63]],\"crs\":\"\xffgcj\"}",
		`{"points":{"0":[117.43,36.63]}}`, `{"points":[[117.43,36.63],[36.6,117.5],[1],[NaN,1]]}`,
	)
	// Too many points, and many bad ones (the list stops after 101).
	many := make([][2]float64, MaxLocatePoints+1)
	for i := range many {
		many[i] = [2]float64{117.43, 36.63}
	}
	b, _ := json.Marshal(map[string]any{"points": many})
	bodies = append(bodies, string(b))
	for i := range 300 {
		many[i] = [2]float64{36.63, 117.43 + rng.Float64()}
	}
	b, _ = json.Marshal(map[string]any{"points": many[:5000]})
	bodies = append(bodies, string(b))

	t.Logf("%d bodies, %d points in each CRS spelling", len(bodies), len(pts))
	for i, body := range bodies {
		for _, ct := range []string{"application/json", "text/plain"} {
			got := postLocate(s, s.locateMany, []byte(body), ct)
			want := postLocate(s, s.prevLocateMany, []byte(body), ct)
			if got != want {
				t.Errorf("body %d (%.80q, %s):\n got %d %s %.300s\nwant %d %s %.300s", i, body, ct,
					got.status, got.header, got.body, want.status, want.header, want.body)
			}
			if i < 10 && ct == "application/json" && got.status != 200 {
				t.Errorf("body %d: %d %s", i, got.status, got.body)
			}
		}
	}
}

// TestLocateMany_bodyTooLarge: a chunked body over the cap is refused as
// before (413), and a malformed one within the first bytes as before too.
func TestLocateMany_bodyTooLarge(t *testing.T) {
	s, _ := locateTestServer(t)
	big := `{"points":[` + strings.Repeat(`[117.43,36.63],`, MaxLocateBody/15+10) + `[117.43,36.63]]}`
	for _, body := range []string{big, `{"points":[[x` + big} {
		got := postLocate(s, s.locateMany, []byte(body), "application/json")
		want := postLocate(s, s.prevLocateMany, []byte(body), "application/json")
		if got != want {
			t.Errorf("got %d %.200s, want %d %.200s", got.status, got.body, want.status, want.body)
		}
	}
}

// TestAppendResult_matchesEncodingJSON: the writer's bytes equal
// encoding/json's for the same values — the point as 7-decimal numbers
// (json.Number of strconv's 'f', 7), the distance rounded to 0.1 m — over
// random and constructed values: half-way cases of the 7th decimal, -0,
// large and non-finite coordinates, HTML characters, U+2028, control
// characters and invalid UTF-8 in names.
func TestAppendResult_matchesEncodingJSON(t *testing.T) {
	type hitJSON struct {
		Code  string `json:"code"`
		Name  string `json:"name"`
		Level int    `json:"level"`
	}
	type resultJSON struct {
		Covered           bool           `json:"covered"`
		Point             [2]json.Number `json:"point"`
		Chain             []hitJSON      `json:"chain"`
		BoundaryDistanceM float64        `json:"boundary_distance_m"`
	}
	rng := rand.New(rand.NewPCG(21, 3))
	coord := func() float64 {
		switch rng.IntN(8) {
		case 0: // half-way between two 7th decimals, or a hair off it
			v := (math.Floor(rng.Float64()*360e7) - 180e7 + 0.5) / 1e7
			return v + float64(rng.IntN(5)-2)*1e-15
		case 1:
			return []float64{0, math.Copysign(0, -1), -1e-9, 4e-8, 5e-8, 6e-8, 180, -180, 90, 999.99999995, 1000, 1e300}[rng.IntN(12)]
		case 2:
			return float64(rng.IntN(361) - 180)
		case 3:
			return (rng.Float64() - 0.5) * 2e6
		default:
			return (rng.Float64() - 0.5) * 360
		}
	}
	dist := func() float64 {
		switch rng.IntN(5) {
		case 0:
			return float64(rng.IntN(10001))/10 + 0.05 // half-way
		case 1:
			return []float64{0, 1000, 0.04, 0.05, 0.06, 999.95, 1e7, 1e12}[rng.IntN(8)]
		default:
			return rng.Float64() * 1000
		}
	}
	names := []string{"网格 B0001-23", `a "quoted" <b> & c`, "tab\there\n", "\u2028\u2029", "\xff\xfe", "ok", "", "\x7f\x00", "é"}
	prev := map[locate.Hit][]byte{}
	for i := range 20000 {
		r := locate.Result{Point: orb.Point{coord(), coord()}, BoundaryDistanceM: dist()}
		for l := range rng.IntN(4) {
			r.Chain = append(r.Chain, locate.Hit{Code: names[rng.IntN(len(names))] + strconv.Itoa(l), Name: names[rng.IntN(len(names))], Level: l + 1})
		}
		r.Covered = len(r.Chain) > 0
		want := resultJSON{Covered: r.Covered, Chain: []hitJSON{}, BoundaryDistanceM: math.Round(r.BoundaryDistanceM*10) / 10,
			Point: [2]json.Number{json.Number(strconv.FormatFloat(r.Point[0], 'f', 7, 64)), json.Number(strconv.FormatFloat(r.Point[1], 'f', 7, 64))}}
		for _, h := range r.Chain {
			want.Chain = append(want.Chain, hitJSON(h))
		}
		wb, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		got := appendResult(nil, &r)
		if !bytes.Equal(got, wb) {
			t.Errorf("result %d:\n got %s\nwant %s", i, got, wb)
		}
		if old := prevAppendResult(nil, &r, prev); !bytes.Equal(got, old) {
			t.Errorf("result %d:\n got %s\nprevious %s", i, got, old)
		}
		if t.Failed() && i > 50 {
			break
		}
	}
}

// prevLocateMany is POST /api/v1/locate as it was before the hand reader
// and writer: the reference of TestLocateMany_matchesPrevious.
func (s *Server) prevLocateMany(w http.ResponseWriter, r *http.Request) error {
	var req locateRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	sys, err := parseCRS(req.CRS)
	if err != nil {
		return err
	}
	var at *time.Time
	if req.At != "" {
		if at, err = parseInstant("at", req.At); err != nil {
			return err
		}
	}
	if len(req.Points) == 0 {
		return errs.Invalidf("points", "points_required", "want 1 to %d points", MaxLocatePoints)
	}
	if len(req.Points) > MaxLocatePoints {
		return errs.E(errs.TooLarge, "too_many_points", "%d points sent; at most %d per request", len(req.Points), MaxLocatePoints)
	}
	pts := make([]orb.Point, len(req.Points))
	var bad []errs.Field
	for i, p := range req.Points {
		field := "points[" + strconv.Itoa(i) + "]"
		if len(p) != 2 {
			bad = append(bad, errs.Field{Field: field, Index: intp(i), Reason: "invalid_point", Detail: "want [lon, lat]"})
			continue
		}
		lon, lat := p[0], p[1]
		if err := checkPoint(field, lon, lat); err != nil {
			e, _ := errs.As(err)
			f := e.Fields[0]
			f.Index = intp(i)
			bad = append(bad, f)
			continue
		}
		x, y := crs.ToWGS84(sys, lon, lat)
		pts[i] = orb.Point{x, y}
		if len(bad) > 100 {
			break
		}
	}
	if len(bad) > 0 {
		e := errs.E(errs.Invalid, "invalid_points", "%d points are invalid (first %s: %s)", len(bad), bad[0].Field, bad[0].Detail)
		e.Fields = bad
		return e
	}
	res, err := s.Locator.Locate(r.Context(), pts, at)
	if err != nil {
		return err
	}
	hits := map[locate.Hit][]byte{}
	var buf []byte
	for i := range res {
		if i == 1 {
			grown := make([]byte, len(buf), (len(buf)+64)*len(res)+64)
			copy(grown, buf)
			buf = grown
		}
		if i == 0 {
			buf = append(buf, `{"count":`...)
			buf = strconv.AppendInt(buf, int64(len(res)), 10)
			buf = append(buf, `,"results":[`...)
		} else {
			buf = append(buf, ',')
		}
		buf = prevAppendResult(buf, &res[i], hits)
	}
	buf = append(buf, "]}\n"...)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(buf)))
	_, _ = w.Write(buf)
	return nil
}

func prevAppendResult(b []byte, r *locate.Result, cache map[locate.Hit][]byte) []byte {
	b = append(b, `{"covered":`...)
	b = strconv.AppendBool(b, r.Covered)
	b = append(b, `,"point":[`...)
	b = strconv.AppendFloat(b, r.Point[0], 'f', 7, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, r.Point[1], 'f', 7, 64)
	b = append(b, `],"chain":[`...)
	for i, h := range r.Chain {
		if i > 0 {
			b = append(b, ',')
		}
		if enc, ok := cache[h]; ok {
			b = append(b, enc...)
			continue
		}
		start := len(b)
		b = append(b, `{"code":`...)
		b = appendMarshalledString(b, h.Code)
		b = append(b, `,"name":`...)
		b = appendMarshalledString(b, h.Name)
		b = append(b, `,"level":`...)
		b = strconv.AppendInt(b, int64(h.Level), 10)
		b = append(b, '}')
		if cache != nil {
			cache[h] = append([]byte(nil), b[start:]...)
		}
	}
	b = append(b, `],"boundary_distance_m":`...)
	b = strconv.AppendFloat(b, math.Round(r.BoundaryDistanceM*10)/10, 'f', -1, 64)
	return append(b, '}')
}
