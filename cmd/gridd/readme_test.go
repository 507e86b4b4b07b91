package main

import (
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/httpapi"
	"github.com/gridd/gridd/internal/province"
)

// readmeRoute is a route the README names: methods (none: any) and a path
// with {placeholders}; prefix routes ("/ogc/…") match any route below.
type readmeRoute struct {
	methods []string
	path    string
	prefix  bool
	line    int
}

var (
	readmeSpan    = regexp.MustCompile("`([^`]+)`")
	readmeMethods = regexp.MustCompile(`^((?:GET|POST|PUT|PATCH|DELETE)(?:/(?:GET|POST|PUT|PATCH|DELETE))*)\s+(.*)$`)
	readmeAlt     = regexp.MustCompile(`\{([^{}]*[|,][^{}]*)\}`)
	readmeParam   = regexp.MustCompile(`\{[^{}/]*\}`)
)

// readmeAbsolute reports whether p starts one of the served trees.
func readmeAbsolute(p string) bool {
	if p == "/" {
		return true
	}
	for _, pre := range []string{"/api/", "/tiles/", "/ogc/", "/open311/", "/m/", "/healthz", "/readyz", "/metrics"} {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	return false
}

// expandAlt expands {a|b} and {a,b,c} alternatives.
func expandAlt(p string) []string {
	m := readmeAlt.FindStringSubmatchIndex(p)
	if m == nil {
		return []string{p}
	}
	var out []string
	for _, alt := range strings.FieldsFunc(strings.ReplaceAll(p[m[2]:m[3]], `\|`, "|"), func(r rune) bool { return r == '|' || r == ',' }) {
		out = append(out, expandAlt(p[:m[0]]+alt+p[m[1]:])...)
	}
	return out
}

// readmeRoutes reads the routes README.md names: every span of the API
// table's first column (where "…/x" continues the span before it and
// "/x" alone is a suffix of it), and every span elsewhere that starts with
// a method and a path or with a path of a served tree.
func readmeRoutes(readme string) []readmeRoute {
	var out []readmeRoute
	inAPI := false
	for i, line := range strings.Split(readme, "\n") {
		if strings.HasPrefix(line, "## ") {
			inAPI = line == "## API overview"
		}
		// A row of the API table: its first column under the table rules,
		// the rest like prose.
		type part struct {
			text  string
			table bool
		}
		parts := []part{{line, false}}
		if inAPI && strings.HasPrefix(line, "| `") {
			first, rest, _ := strings.Cut(line[1:], " | ")
			parts = []part{{first, true}, {rest, false}}
		}
		for _, part := range parts {
			table, text := part.table, part.text
			prev := ""
			for _, m := range readmeSpan.FindAllStringSubmatch(text, -1) {
				s := strings.TrimSpace(m[1])
				var methods []string
				if mm := readmeMethods.FindStringSubmatch(s); mm != nil {
					methods, s = strings.Split(mm[1], "/"), mm[2]
				}
				s = strings.TrimPrefix(s, "http://SERVER")
				if i := strings.IndexAny(s, " ?["); i >= 0 {
					s = s[:i]
				}
				if j := strings.Index(s, "…/api/"); j >= 0 {
					s = s[j+len("…"):]
				}
				switch {
				case readmeAbsolute(s):
				case table && strings.HasPrefix(s, "…") && prev != "":
					rest := strings.TrimPrefix(s, "…")
					seg := "/" + strings.SplitN(strings.TrimPrefix(rest, "/"), "/", 2)[0]
					if k := strings.LastIndex(prev, seg); k >= 0 && seg != "/" {
						s = prev[:k] + rest
					} else {
						s = prev + rest
					}
				case table && strings.HasPrefix(s, "/") && prev != "":
					s = prev + s
				default:
					continue // not a route (a header, a field, a value)
				}
				if !table && methods == nil && !readmeAbsolute(s) {
					continue
				}
				prev = s
				prefix := strings.HasSuffix(s, "…") || s == "/api/v1" // "every /api/v1 route"
				for _, p := range expandAlt(strings.TrimSuffix(s, "…")) {
					out = append(out, readmeRoute{methods: methods, path: p, prefix: prefix, line: i + 1})
				}
			}
		}
	}
	return out
}

// TestReadmeContract holds the README's lists to the code: every route it
// names is registered, every case action it names is in the state machine
// and every action of the state machine is named, and the tile layers it
// names are exactly those of the layer registry.
func TestReadmeContract(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	ta := newTestApp(t, false)

	type served struct {
		method string
		re     *regexp.Regexp
		route  string
	}
	var routes []served
	walk := func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		route = strings.ReplaceAll(route, "/*/", "/")
		pat := regexp.QuoteMeta(route)
		pat = regexp.MustCompile(`\\\{[^}]*\\\}`).ReplaceAllString(pat, `[^/]+`)
		pat = strings.ReplaceAll(pat, `\*`, `.*`)
		routes = append(routes, served{method, regexp.MustCompile("^" + strings.TrimSuffix(pat, "/") + "/?$"), route})
		return nil
	}
	// The province instance's routes (a province instance serves them
	// instead of the city's; province.go).
	pc := Config{}
	prov := ta.app.server(pc)
	prov.Province = &province.Service{}
	if err := chi.Walk(httpapi.New(prov.Deps).Router(), walk); err != nil {
		t.Fatal(err)
	}
	err = chi.Walk(ta.server(Config{}).Router(), walk)
	if err != nil {
		t.Fatal(err)
	}
	named := readmeRoutes(readme)
	if len(named) < 60 {
		t.Fatalf("read only %d routes from the README: the parser lost the table", len(named))
	}
	for _, rt := range named {
		sample := readmeParam.ReplaceAllString(rt.path, "x1")
		for _, m := range append(rt.methods, "") {
			if m == "" && rt.methods != nil {
				continue
			}
			found := slices.ContainsFunc(routes, func(s served) bool {
				if m != "" && s.method != m {
					return false
				}
				if rt.prefix {
					return strings.HasPrefix(s.route, rt.path)
				}
				return s.re.MatchString(sample)
			})
			if !found {
				t.Errorf("README.md:%d names %s %s, which is not a registered route", rt.line, m, rt.path)
			}
		}
	}

	// Case actions: the transitions row lists exactly the state machine's.
	row := ""
	for _, line := range strings.Split(readme, "\n") {
		if strings.HasPrefix(line, "| `POST /api/v1/cases/{id}/transitions`") {
			row = line
		}
	}
	_, list, found := strings.Cut(row, "with the actions")
	if !found {
		t.Fatal("README: the transitions row does not list the actions")
	}
	list, _, _ = strings.Cut(list, "(")
	var readmeActs []string
	for _, m := range readmeSpan.FindAllStringSubmatch(list, -1) {
		readmeActs = append(readmeActs, m[1])
	}
	var acts []string
	for _, a := range casework.Actions() {
		acts = append(acts, string(a))
	}
	for _, a := range readmeActs {
		if !slices.Contains(acts, a) {
			t.Errorf("README names the case action %q, which the state machine does not have", a)
		}
	}
	for _, a := range acts {
		if !slices.Contains(readmeActs, a) {
			t.Errorf("the state machine's action %q is not named in the README", a)
		}
	}
	// Elsewhere an action is written as `"action": "x"`: it must exist too.
	for _, m := range regexp.MustCompile(`"action":\s*"([a-z_]+)"`).FindAllStringSubmatch(readme, -1) {
		if !slices.Contains(acts, m[1]) {
			t.Errorf("README sends the action %q, which the state machine does not have", m[1])
		}
	}

	// Tile layers: the tiles row names them as `name` spans.
	row = ""
	for _, line := range strings.Split(readme, "\n") {
		if strings.HasPrefix(line, "| `GET /tiles/{layer}/") {
			row = line
		}
	}
	_, list, found = strings.Cut(row, "the layers")
	if !found {
		t.Fatal("README: the tiles row does not list the layers")
	}
	list, _, _ = strings.Cut(list, ";")
	var readmeLayers []string
	for _, m := range readmeSpan.FindAllStringSubmatch(list, -1) {
		readmeLayers = append(readmeLayers, m[1])
	}
	var layers []string
	for _, l := range ta.tiles.Registry.Layers() {
		layers = append(layers, l.Name)
	}
	slices.Sort(layers)
	slices.Sort(readmeLayers)
	if !slices.Equal(layers, readmeLayers) {
		t.Errorf("README names the tile layers %v; the registry has %v", readmeLayers, layers)
	}
}
