package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// problemText is the problem+json body with what a person reads in it.
type problemText struct {
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Reason string `json:"reason"`
	Errors []struct {
		Field  string `json:"field"`
		Reason string `json:"reason"`
		Detail string `json:"detail"`
	} `json:"errors"`
}

var (
	han = regexp.MustCompile(`\p{Han}`)
	// englishWord is a word of three letters or more outside quotes and
	// identifiers (a token with a digit, '_', '.', '/', '=' is one).
	englishWord = regexp.MustCompile(`(^|[^A-Za-z0-9_./=\-])([A-Za-z]{3,})($|[^A-Za-z0-9_./=\-])`)
	quotedText  = regexp.MustCompile(`"[^"]*"|“[^”]*”`)
)

// chineseOnly returns the English words of text, bar the names of formats
// and of fields a client sends (fields: the problem's own).
func chineseOnly(text string, fields ...string) []string {
	allowed := map[string]bool{"JSON": true, "GeoJSON": true, "Polygon": true, "MultiPolygon": true, "Point": true, "ETag": true, "NUL": true, "GET": true, "POST": true, "code": true, "name": true, "from": true, "lon": true, "lat": true, "geometry": true}
	for _, f := range fields {
		allowed[f] = true
	}
	var out []string
	for _, m := range englishWord.FindAllStringSubmatch(quotedText.ReplaceAllString(text, " "), -1) {
		if !allowed[m[2]] {
			out = append(out, m[2])
		}
	}
	return out
}

// TestProblemInReadersLanguage (issue 15): bad requests answered through
// the router read in Chinese by default (title, detail and every field
// error's detail, with the request's values in place) and in English with
// ?lang=en or Accept-Language: en; reasons and field names are the same in
// both.
func TestProblemInReadersLanguage(t *testing.T) {
	ta := newTestApp(t, true)
	admin := ta.login("admin")
	worker := ta.login(ownGrid)
	p := pointIn(ownGrid, 3, 30)
	for _, tc := range []struct {
		name, method, path, token string
		body                      any
		status                    int
		zhHas                     string // a value of the request the Chinese detail repeats
	}{
		{"report with a bad category and no description", "POST", "/api/v1/cases", worker,
			map[string]any{"category": "9999", "description": "", "lon": p[0], "lat": p[1]}, 400, ""},
		{"unknown sort", "GET", "/api/v1/cases?sort=bogus", admin, nil, 400, "bogus"},
		{"case id not a number", "GET", "/api/v1/cases/abc", admin, nil, 400, "abc"},
		{"NaN longitude", "GET", "/api/v1/locate?lon=NaN&lat=36.7", admin, nil, 400, ""},
		{"empty building outline", "POST", "/api/v1/registers/building", admin,
			json.RawMessage(`{"name":"空楼","geometry":{"type":"Polygon","coordinates":[[]]}}`), 422, ""},
		{"unknown case", "GET", "/api/v1/cases/987654321", admin, nil, 404, "987654321"},
	} {
		get := func(path string, hdr map[string]string) problemText {
			t.Helper()
			body := tc.body
			if raw, ok := body.(json.RawMessage); ok {
				body = []byte(raw)
			}
			res := ta.do(tc.method, path, tc.token, body, hdr)
			if res.Status != tc.status || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
				t.Fatalf("%s: %d %s, want %d problem+json", tc.name, res.Status, res.Body, tc.status)
			}
			var pt problemText
			res.decode(t, &pt)
			return pt
		}
		sep := "?"
		if strings.Contains(tc.path, "?") {
			sep = "&"
		}
		zh := get(tc.path, nil)
		zhAccept := get(tc.path, map[string]string{"Accept-Language": "zh-CN,zh;q=0.9"})
		en := get(tc.path+sep+"lang=en", nil)
		enAccept := get(tc.path, map[string]string{"Accept-Language": "en-US,en;q=0.9"})

		texts := func(p problemText) []string {
			out := []string{p.Title, p.Detail}
			for _, e := range p.Errors {
				out = append(out, e.Detail)
			}
			return out
		}
		var fields []string
		for _, e := range zh.Errors {
			fields = append(fields, e.Field)
		}
		for _, text := range texts(zh) {
			if words := chineseOnly(text, fields...); !han.MatchString(text) || len(words) > 0 {
				t.Errorf("%s: zh text %q (English words %v)", tc.name, text, words)
			}
		}
		if tc.zhHas != "" && !strings.Contains(zh.Detail, tc.zhHas) {
			t.Errorf("%s: zh detail %q does not repeat %q", tc.name, zh.Detail, tc.zhHas)
		}
		for _, text := range texts(en) {
			if text == "" || han.MatchString(text) {
				t.Errorf("%s: en text %q", tc.name, text)
			}
		}
		if a, b := strings.Join(texts(zh), "|"), strings.Join(texts(zhAccept), "|"); a != b {
			t.Errorf("%s: default %q, Accept-Language zh %q", tc.name, a, b)
		}
		if a, b := strings.Join(texts(en), "|"), strings.Join(texts(enAccept), "|"); a != b {
			t.Errorf("%s: ?lang=en %q, Accept-Language en %q", tc.name, a, b)
		}
		if zh.Reason != en.Reason || len(zh.Errors) != len(en.Errors) {
			t.Errorf("%s: zh %+v, en %+v: reasons or fields differ", tc.name, zh, en)
			continue
		}
		for i := range zh.Errors {
			if zh.Errors[i].Field != en.Errors[i].Field || zh.Errors[i].Reason != en.Errors[i].Reason {
				t.Errorf("%s: field error %d: zh %+v, en %+v", tc.name, i, zh.Errors[i], en.Errors[i])
			}
		}
		t.Logf("%s:\n  zh %s — %s %v\n  en %s — %s %v", tc.name, zh.Title, zh.Detail, zh.Errors, en.Title, en.Detail, en.Errors)
	}

	// The data audits label their findings in the reader's language.
	for _, l := range []string{"zh", "en"} {
		var reg struct {
			Findings []struct{ Reason, Label string } `json:"findings"`
		}
		ta.do("GET", "/api/v1/audits/registers?lang="+l, admin, nil, nil).decode(t, &reg)
		var topo struct {
			Findings struct {
				Features []struct {
					Properties struct{ Kind, Label string } `json:"properties"`
				} `json:"features"`
			} `json:"findings"`
		}
		ta.do("GET", "/api/v1/audits/topology?sliver_m2=0&lang="+l, admin, nil, nil).decode(t, &topo)
		labels := map[string]string{}
		for _, f := range reg.Findings {
			labels[f.Reason] = f.Label
		}
		for _, f := range topo.Findings.Features {
			labels[f.Properties.Kind] = f.Properties.Label
		}
		if len(reg.Findings) == 0 {
			t.Errorf("%s: the demo's register audit has no findings to label", l)
		}
		for what, label := range labels {
			if label == "" || han.MatchString(label) != (l == "zh") || strings.Contains(label, ".") {
				t.Errorf("%s: %s labelled %q", l, what, label)
			}
		}
		t.Logf("%s audit labels: %v", l, labels)
	}
}
