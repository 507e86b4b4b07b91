package msg

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// latinToken matches a run of printable ASCII in a Chinese text, without the
// punctuation around words; latinWord is such a run of letters alone, three
// or more: units and codes such as "m²", "ID", "H3" are allowed in Chinese
// text, English words are not.
var (
	latinToken = regexp.MustCompile("[!#-&*-+\\--:<-~]+")
	latinWord  = regexp.MustCompile(`^[A-Za-z]{3,}$`)
	// quoted is an ASCII value shown as it is sent: “html”, `x`, "type".
	quoted = regexp.MustCompile("“[^”]*”|`[^`]*`|\"[^\"]*\"")
)

// allowedLatin are the Latin words a Chinese message may contain: names of
// formats, standards and protocols, and the parameter and field names a
// client sends (a Chinese reader must type those as they are).
var allowedLatin = map[string]bool{
	"GPS": true, "URL": true, "API": true, "CSV": true, "GeoJSON": true, "Shapefile": true, "HTTP": true, "SSE": true,
	"JSON": true, "JPEG": true, "PNG": true, "GPX": true, "TOTP": true, "ZIP": true, "MiB": true, "RFC": true, "ISO": true,
	"ETag": true, "FeatureCollection": true, "Feature": true, "Polygon": true, "MultiPolygon": true, "Point": true,
	"LineString": true, "NUL": true, "POST": true, "PUT": true, "GET": true, "Authorization": true, "Bearer": true,
	"QGIS": true, "dBase": true, "webhook": true, "xlsx": true, "multipart": true, "null": true, "http": true, "https": true,
	// parameter and field names
	"offset": true, "cursor": true, "comment": true, "into": true, "code": true, "name": true, "kind": true, "unit": true,
	"properties": true, "features": true, "geometry": true, "approve": true, "file": true, "notes": true, "measure": true,
	"datetime": true, "bbox": true, "level": true, "parent": true, "from": true, "off": true, "work": true, "date": true,
	"month": true, "lon": true, "lat": true, "items": true, "type": true,
	// placeholders of formats
	"YYYY": true, "YYYYMMDD": true, "NNMM": true,
}

// latinWords returns the English words of a Chinese text outside quotes,
// fmt verbs and identifiers (a token with a digit, '_', '.', '/', '=' … is
// an identifier, a path, a code or a format such as YYYY-MM-DD).
func latinWords(zh string) []string {
	s := verbRe.ReplaceAllString(zh, " ")
	s = quoted.ReplaceAllString(s, " ")
	var out []string
	for _, tok := range latinToken.FindAllString(s, -1) {
		tok = strings.TrimRight(tok, ":?!.-")
		if latinWord.MatchString(tok) && !allowedLatin[tok] {
			out = append(out, tok)
		}
	}
	return out
}

// TestEveryMessageTranslated renders every message in both languages with
// placeholder arguments and fails on an empty form, a Chinese form with
// English words, or forms that disagree on their arguments.
func TestEveryMessageTranslated(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Keys()) == 0 {
		t.Fatal("the catalogue is empty")
	}
	verb := regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z]`)
	for _, k := range c.Keys() {
		tx := c.texts[k]
		zv, ev := verb.FindAllString(tx.ZH, -1), verb.FindAllString(tx.EN, -1)
		if strings.Join(zv, ",") != strings.Join(ev, ",") {
			t.Errorf("%s: zh verbs %v, en verbs %v", k, zv, ev)
		}
		args := make([]any, len(zv))
		for i := range args {
			args[i] = 7
		}
		zh := c.Sprintf(ZH, k, args...)
		for _, w := range latinWords(tx.ZH) {
			t.Errorf("%s: Chinese form %q has the English word %q", k, zh, w)
		}
		if en := c.Sprintf(EN, k, args...); en == "" || en == zh {
			t.Errorf("%s: English form %q", k, en)
		}
	}
}

// TestEveryDetailTranslated checks every problem detail (detail_*.go): the
// Chinese form has the English format's verbs in the same order and no
// English words, and renders.
func TestEveryDetailTranslated(t *testing.T) {
	c := Must()
	if len(c.DetailFormats()) < 800 {
		t.Fatalf("%d detail formats: a table is missing from detailTables", len(c.DetailFormats()))
	}
	for _, en := range c.DetailFormats() {
		zh := c.DetailZH(en)
		zv, ev := verbRe.FindAllString(zh, -1), verbRe.FindAllString(en, -1)
		if strings.Join(zv, ",") != strings.Join(ev, ",") {
			t.Errorf("%q: zh verbs %v, en verbs %v", en, zv, ev)
		}
		for _, w := range latinWords(zh) {
			t.Errorf("%q: Chinese form %q has the English word %q", en, zh, w)
		}
		if zh == en && strings.TrimSpace(verbRe.ReplaceAllString(en, "")) != "" {
			t.Errorf("%q: the Chinese form is the English one", en)
		}
	}
}

func TestUnknownKeyAndLang(t *testing.T) {
	c := Must()
	if got := c.Sprintf(ZH, "no.such.key"); got != "no.such.key" {
		t.Errorf("unknown key renders %q", got)
	}
	if ParseLang("en-US,en;q=0.9") != EN || ParseLang("zh-CN") != ZH || ParseLang("") != ZH {
		t.Error("ParseLang")
	}
	if got := c.Sprintf(EN, ProblemNotFound); got != "Not found" {
		t.Errorf("en title %q", got)
	}
	if got := c.Sprintf(ZH, ProblemNotFound); got != "未找到" {
		t.Errorf("zh title %q", got)
	}
}

// TestEveryTableListed parses the package and fails on a table of messages
// (a map[Key]Text or a detail table) that is not listed in tables or
// detailTables: its messages would be neither served nor checked.
func TestEveryTableListed(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	var declared []string
	for _, p := range pkgs {
		for _, f := range p.Files {
			for _, d := range f.Decls {
				g, ok := d.(*ast.GenDecl)
				if !ok || g.Tok != token.VAR {
					continue
				}
				for _, sp := range g.Specs {
					vs := sp.(*ast.ValueSpec)
					for i, n := range vs.Names {
						if i >= len(vs.Values) {
							continue
						}
						switch v := vs.Values[i].(type) {
						case *ast.CompositeLit:
							typ := types(v.Type)
							if n.Name == "tables" || n.Name == "detailTables" {
								for _, el := range v.Elts {
									if id, ok := el.(*ast.Ident); ok {
										listed[id.Name] = true
									}
								}
							} else if typ == "map[Key]Text" || typ == "map[string]string" {
								declared = append(declared, n.Name)
							}
						}
					}
				}
			}
		}
	}
	if len(declared) < 10 {
		t.Fatalf("found only %v: the parse no longer sees the tables", declared)
	}
	for _, n := range declared {
		if !listed[n] {
			t.Errorf("table %s is not listed in tables or detailTables", n)
		}
	}
}

// types renders a map type expression as written.
func types(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.MapType:
		return "map[" + types(x.Key) + "]" + types(x.Value)
	case *ast.Ident:
		return x.Name
	}
	return ""
}
