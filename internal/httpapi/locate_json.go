package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/gridd/gridd/internal/locate"
	"github.com/paulmach/orb"
)

// The POST /api/v1/locate body and answer are read and written by hand: at
// 10,000 points a request, encoding/json's reflection over [][]float64 and
// the answer cost more than the lookups. Both sides stay byte-compatible
// with the encoding/json path (locate_json_test.go): the reader accepts a
// strict subset of JSON — one object with only the keys crs, at and points,
// strings without escapes, points as [number, number] pairs — and hands
// everything else, including every malformed body, to decodeJSON, so
// errors and edge cases are exactly those of encoding/json.

// bufPool recycles request bodies and answers (a few MB at 10,000 points).
var bufPool = sync.Pool{New: func() any { return new([]byte) }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) > 64<<20 {
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}

// decodeLocateRequest reads a POST /api/v1/locate body into req. The body
// is read whole into *buf (which the caller recycles); the hand reader
// parses it when it can, decodeJSON otherwise.
func decodeLocateRequest(r *http.Request, buf *[]byte, req *locateRequest) error {
	if err := requireJSON(r); err != nil {
		return err
	}
	b := bytes.NewBuffer((*buf)[:0])
	_, rerr := b.ReadFrom(r.Body)
	*buf = b.Bytes()
	if rerr == nil && parseLocateRequest(*buf, req) {
		return nil
	}
	// The generic path sees the same bytes, then the read error if any,
	// as it would have reading the body itself.
	var body io.Reader = bytes.NewReader(*buf)
	if rerr != nil {
		body = io.MultiReader(body, errReader{rerr})
	}
	r.Body = io.NopCloser(body)
	*req = locateRequest{}
	return decodeJSON(r, req)
}

// parseLocateRequest parses the common form of the body; false means
// "not handled here" (req is then undefined).
func parseLocateRequest(data []byte, req *locateRequest) bool {
	p := jsonScanner{data: data}
	if !p.byte('{') {
		return false
	}
	var seenCRS, seenAt, seenPoints bool
	if !p.peek('}') {
		for {
			key, ok := p.plainString()
			if !ok || !p.byte(':') {
				return false
			}
			switch key {
			case "crs":
				if seenCRS {
					return false
				}
				seenCRS = true
				if req.CRS, ok = p.plainString(); !ok {
					return false
				}
			case "at":
				if seenAt {
					return false
				}
				seenAt = true
				if req.At, ok = p.plainString(); !ok {
					return false
				}
			case "points":
				if seenPoints || !p.points(req) {
					return false
				}
				seenPoints = true
			default:
				return false
			}
			if p.byte(',') {
				continue
			}
			break
		}
	}
	if !p.byte('}') {
		return false
	}
	p.space()
	return p.i == len(p.data)
}

type jsonScanner struct {
	data []byte
	i    int
}

func (p *jsonScanner) space() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// byte consumes c after optional whitespace.
func (p *jsonScanner) byte(c byte) bool {
	p.space()
	if p.i < len(p.data) && p.data[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *jsonScanner) peek(c byte) bool {
	p.space()
	return p.i < len(p.data) && p.data[p.i] == c
}

// plainString reads a string without escapes, control characters or
// invalid UTF-8 (encoding/json would rewrite or refuse those).
func (p *jsonScanner) plainString() (string, bool) {
	if !p.byte('"') {
		return "", false
	}
	start := p.i
	ascii := true
	for ; p.i < len(p.data); p.i++ {
		c := p.data[p.i]
		switch {
		case c == '"':
			s := p.data[start:p.i]
			p.i++
			if !ascii && !utf8.Valid(s) {
				return "", false
			}
			return string(s), true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= 0x80:
			ascii = false
		}
	}
	return "", false
}

// points reads [[lon, lat], ...] into req.pairs.
func (p *jsonScanner) points(req *locateRequest) bool {
	if !p.byte('[') {
		return false
	}
	// Every point opens a bracket: size the array once from their count.
	pts := make([]orb.Point, 0, bytes.Count(p.data[p.i:], []byte{'['}))
	if !p.peek(']') {
		for {
			if !p.byte('[') {
				return false
			}
			x, ok := p.number()
			if !ok || !p.byte(',') {
				return false
			}
			y, ok := p.number()
			if !ok || !p.byte(']') {
				return false
			}
			pts = append(pts, orb.Point{x, y})
			if p.byte(',') {
				continue
			}
			break
		}
	}
	if !p.byte(']') {
		return false
	}
	req.pairs = pts
	return true
}

// number reads a JSON number (RFC 8259 grammar) and converts it as
// encoding/json does (strconv.ParseFloat of the literal).
func (p *jsonScanner) number() (float64, bool) {
	p.space()
	d, i := p.data, p.i
	start := i
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i++; i < len(d) && d[i] >= '0' && d[i] <= '9'; i++ {
		}
	default:
		return 0, false
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return 0, false
		}
		for ; i < len(d) && d[i] >= '0' && d[i] <= '9'; i++ {
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return 0, false
		}
		for ; i < len(d) && d[i] >= '0' && d[i] <= '9'; i++ {
		}
	}
	v, err := strconv.ParseFloat(string(d[start:i]), 64)
	if err != nil {
		return 0, false // out of range: encoding/json's error
	}
	p.i = i
	return v, true
}

// appendResult encodes one result.
func appendResult(b []byte, r *locate.Result) []byte {
	b = append(b, `{"covered":`...)
	b = strconv.AppendBool(b, r.Covered)
	b = append(b, `,"point":[`...)
	b = appendFixed7(b, r.Point[0])
	b = append(b, ',')
	b = appendFixed7(b, r.Point[1])
	b = append(b, `],"chain":[`...)
	for i := range r.Chain {
		h := &r.Chain[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"code":`...)
		b = appendJSONString(b, h.Code)
		b = append(b, `,"name":`...)
		b = appendJSONString(b, h.Name)
		b = append(b, `,"level":`...)
		b = strconv.AppendInt(b, int64(h.Level), 10)
		b = append(b, '}')
	}
	b = append(b, `],"boundary_distance_m":`...)
	b = appendDecimetres(b, r.BoundaryDistanceM)
	return append(b, '}')
}

// appendJSONString appends s as json.Marshal writes it (HTML characters,
// U+2028 and U+2029 escaped, invalid UTF-8 replaced): as is when nothing
// needs escaping, through json.Marshal otherwise.
func appendJSONString(b []byte, s string) []byte {
	var class byte
	for i := 0; i < len(s); i++ {
		class |= jsonClass[s[i]]
	}
	if class&jsonEscape != 0 || class&jsonMultibyte != 0 &&
		(!utf8.ValidString(s) || strings.Contains(s, "\u2028") || strings.Contains(s, "\u2029")) {
		return appendMarshalledString(b, s)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

const (
	jsonEscape    = 1 // an ASCII byte json.Marshal escapes
	jsonMultibyte = 2 // part of a multi-byte sequence: check UTF-8
)

var jsonClass = func() (t [256]byte) {
	for c := range t {
		switch {
		case c >= 0x80:
			t[c] = jsonMultibyte
		case c < 0x20, c == '"', c == '\\', c == '<', c == '>', c == '&':
			t[c] = jsonEscape
		}
	}
	return t
}()

func appendMarshalledString(b []byte, s string) []byte {
	enc, _ := json.Marshal(s)
	return append(b, enc...)
}

// appendFixed7 appends v as strconv.AppendFloat(b, v, 'f', 7, 64) does,
// without its arbitrary-precision path for the common case: for |v| < 1000
// v·10⁷ is computed with an error below 2e-6, so unless its fraction is
// within 1e-4 of one half (left to strconv) rounding it gives the digits
// of the correctly rounded decimal.
func appendFixed7(b []byte, v float64) []byte {
	a := math.Abs(v)
	if !(a < 1000) {
		return strconv.AppendFloat(b, v, 'f', 7, 64)
	}
	t := a * 1e7
	fl := math.Floor(t)
	frac := t - fl
	if frac > 0.5-1e-4 && frac < 0.5+1e-4 {
		return strconv.AppendFloat(b, v, 'f', 7, 64)
	}
	n := uint64(fl)
	if frac > 0.5 {
		n++
	}
	if math.Signbit(v) {
		b = append(b, '-')
	}
	b = strconv.AppendUint(b, n/1e7, 10)
	f := n % 1e7
	var digits [8]byte
	digits[0] = '.'
	for k := 7; k >= 1; k-- {
		digits[k] = byte('0' + f%10)
		f /= 10
	}
	return append(b, digits[:]...)
}

// appendDecimetres appends v rounded to 0.1 as
// strconv.AppendFloat(b, math.Round(v*10)/10, 'f', -1, 64) does: the
// shortest decimal of k/10 is k/10 itself (at most 9 digits).
func appendDecimetres(b []byte, v float64) []byte {
	k := math.Round(v * 10)
	if math.Signbit(k) || !(k < 1e8) {
		return strconv.AppendFloat(b, k/10, 'f', -1, 64)
	}
	n := uint64(k)
	b = strconv.AppendUint(b, n/10, 10)
	if d := n % 10; d != 0 {
		b = append(b, '.', byte('0'+d))
	}
	return b
}
