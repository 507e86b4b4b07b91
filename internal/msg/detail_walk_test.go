package msg

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// errsMessageArg is the position of the English message among the
// arguments of each internal/errs constructor.
var errsMessageArg = map[string]int{"E": 2, "Invalidf": 2, "Conflictf": 1, "NotFoundf": 0, "Forbiddenf": 0}

// codeMessage is one English problem text found in the code.
type codeMessage struct {
	text, reason, at string
}

// pkgFunc names a function of a package directory (a method or a function
// literal assigned to a name counts by its name) and one of its parameters.
type pkgFunc struct {
	dir, name string
	param     int
}

// walkProblemTexts parses every non-test Go file of the module and returns
// the English problem texts given to internal/errs: the format of each errs
// constructor, the Detail of each errs.Field and the Msg of each errs.Error
// literal, and, where those are a parameter of the function they sit in
// (a package's bad(field, reason, detail) helper), the text each call of
// that function passes. A text built by concatenation counts as a format
// with %s for each part that is not a literal.
func walkProblemTexts(t *testing.T, root string) (found []codeMessage, reasons map[string]string) {
	t.Helper()
	fset := token.NewFileSet()
	files := map[string][]*ast.File{}
	for _, top := range []string{"internal", "cmd", "spatial"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, p, nil, 0)
			if err != nil {
				return err
			}
			files[filepath.Dir(p)] = append(files[filepath.Dir(p)], f)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	reasons = map[string]string{}
	helpers := map[pkgFunc]string{} // a helper and the reason it gives, if it names one
	seen := map[string]bool{}
	add := func(text, reason string, pos token.Pos) {
		if text == "" {
			return
		}
		at := fset.Position(pos)
		rel, _ := filepath.Rel(root, at.Filename)
		key := text + "\x00" + reason + "\x00" + rel
		if !seen[key] {
			seen[key] = true
			found = append(found, codeMessage{text: text, reason: reason, at: fmt.Sprintf("%s:%d", rel, at.Line)})
		}
	}
	// message classifies the expression given as a message inside function
	// fn (with parameters params): a literal is recorded, a parameter makes
	// fn a helper whose callers are walked.
	var message func(dir string, e ast.Expr, reason string, fn string, params []string) bool
	message = func(dir string, e ast.Expr, reason string, fn string, params []string) bool {
		switch x := e.(type) {
		case *ast.BasicLit:
			if s, err := strconv.Unquote(x.Value); err == nil && x.Kind == token.STRING {
				add(s, reason, x.Pos())
			}
		case *ast.ParenExpr:
			return message(dir, x.X, reason, fn, params)
		case *ast.Ident:
			for i, p := range params {
				if p == x.Name && fn != "" {
					k := pkgFunc{dir, fn, i}
					if _, ok := helpers[k]; !ok {
						helpers[k] = reason
						return true
					}
				}
			}
		case *ast.CallExpr:
			if sel, ok := x.Fun.(*ast.SelectorExpr); ok && len(x.Args) > 0 {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == "fmt" && sel.Sel.Name == "Sprintf" {
					return message(dir, x.Args[0], reason, fn, params)
				}
			}
		case *ast.BinaryExpr:
			if x.Op != token.ADD {
				return false
			}
			var parts []ast.Expr
			var flat func(ast.Expr)
			flat = func(e ast.Expr) {
				if b, ok := e.(*ast.BinaryExpr); ok && b.Op == token.ADD {
					flat(b.X)
					flat(b.Y)
					return
				}
				parts = append(parts, e)
			}
			flat(x)
			var b strings.Builder
			lit := false
			changed := false
			for _, p := range parts {
				if bl, ok := p.(*ast.BasicLit); ok && bl.Kind == token.STRING {
					s, _ := strconv.Unquote(bl.Value)
					b.WriteString(s)
					lit = true
					continue
				}
				if id, ok := p.(*ast.Ident); ok {
					if message(dir, id, reason, fn, params) {
						changed = true
					}
				}
				b.WriteString("%s")
			}
			if lit && !strings.HasPrefix(b.String(), "%s: ") {
				add(b.String(), reason, x.Pos())
			}
			return changed
		}
		return false
	}
	lit := func(e ast.Expr) string {
		if bl, ok := e.(*ast.BasicLit); ok && bl.Kind == token.STRING {
			s, _ := strconv.Unquote(bl.Value)
			return s
		}
		return ""
	}
	isErrs := func(e ast.Expr, names ...string) (string, bool) {
		sel, ok := e.(*ast.SelectorExpr)
		if !ok {
			return "", false
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok || id.Name != "errs" {
			return "", false
		}
		for _, n := range names {
			if sel.Sel.Name == n {
				return n, true
			}
		}
		return "", false
	}
	// visit walks one file, calling fn for every node with the function
	// (name and parameters) it sits in.
	visit := func(f *ast.File, fn func(n ast.Node, name string, params []string)) {
		var walk func(n ast.Node, name string, params []string)
		walk = func(n ast.Node, name string, params []string) {
			ast.Inspect(n, func(c ast.Node) bool {
				if c == nil || c == n {
					if c != nil {
						fn(c, name, params)
					}
					return true
				}
				switch x := c.(type) {
				case *ast.FuncDecl:
					if x.Body != nil {
						walk(x.Body, x.Name.Name, paramNames(x.Type))
					}
					return false
				case *ast.AssignStmt:
					if len(x.Lhs) == 1 && len(x.Rhs) == 1 {
						if fl, ok := x.Rhs[0].(*ast.FuncLit); ok {
							if id, ok := x.Lhs[0].(*ast.Ident); ok {
								walk(fl.Body, id.Name, paramNames(fl.Type))
								return false
							}
						}
					}
				}
				fn(c, name, params)
				return true
			})
		}
		walk(f, "", nil)
	}
	for dir, fs := range files {
		for _, f := range fs {
			visit(f, func(n ast.Node, name string, params []string) {
				switch x := n.(type) {
				case *ast.CallExpr:
					c, ok := isErrs(x.Fun, "E", "Invalidf", "Conflictf", "NotFoundf", "Forbiddenf")
					if !ok {
						return
					}
					i := errsMessageArg[c]
					if i >= len(x.Args) {
						return
					}
					reason := map[string]string{"NotFoundf": "not_found", "Forbiddenf": "forbidden"}[c]
					switch c {
					case "E", "Invalidf":
						reason = lit(x.Args[1])
					case "Conflictf":
						reason = lit(x.Args[0])
					}
					if reason != "" {
						reasons[reason] = fset.Position(x.Pos()).String()
					}
					message(dir, x.Args[i], reason, name, params)
				case *ast.CompositeLit:
					if _, ok := isErrs(x.Type, "Field", "Error"); !ok {
						return
					}
					reason := ""
					var m ast.Expr
					for _, el := range x.Elts {
						kv, ok := el.(*ast.KeyValueExpr)
						if !ok {
							continue
						}
						switch kv.Key.(*ast.Ident).Name {
						case "Reason":
							reason = lit(kv.Value)
						case "Detail", "Msg":
							m = kv.Value
						}
					}
					if reason != "" {
						reasons[reason] = fset.Position(x.Pos()).String()
					}
					if m != nil {
						message(dir, m, reason, name, params)
					}
				}
			})
		}
	}
	// The helpers' callers, until no new helper turns up.
	for done := map[pkgFunc]bool{}; len(done) < len(helpers); {
		for h, hr := range helpers {
			if done[h] {
				continue
			}
			done[h] = true
			for _, f := range files[h.dir] {
				visit(f, func(n ast.Node, name string, params []string) {
					call, ok := n.(*ast.CallExpr)
					if !ok {
						return
					}
					callee := ""
					switch fn := call.Fun.(type) {
					case *ast.Ident:
						callee = fn.Name
					case *ast.SelectorExpr:
						callee = fn.Sel.Name
					}
					if callee != h.name || h.param >= len(call.Args) {
						return
					}
					reason := hr
					if reason == "" && h.param > 0 {
						reason = lit(call.Args[h.param-1])
					}
					if reason != "" {
						reasons[reason] = fset.Position(call.Pos()).String()
					}
					message(h.dir, call.Args[h.param], reason, name, params)
				})
			}
		}
	}
	sort.Slice(found, func(i, j int) bool { return found[i].at < found[j].at })
	return found, reasons
}

func paramNames(ft *ast.FuncType) []string {
	var out []string
	if ft.Params == nil {
		return nil
	}
	for _, f := range ft.Params.List {
		if len(f.Names) == 0 {
			out = append(out, "")
		}
		for _, n := range f.Names {
			out = append(out, n.Name)
		}
	}
	return out
}

// TestEveryReasonHasDetail walks the code for the English problem texts it
// gives internal/errs (see walkProblemTexts) and fails on one without a
// Chinese form in the catalogue, and on a reason none of whose texts has one.
func TestEveryReasonHasDetail(t *testing.T) {
	c := Must()
	found, reasons := walkProblemTexts(t, filepath.Join("..", ".."))
	if len(found) < 400 || len(reasons) < 200 {
		t.Fatalf("the walk found %d texts and %d reasons: it no longer sees the code", len(found), len(reasons))
	}
	covered := map[string]bool{}
	var missing []string
	for _, m := range found {
		if c.HasDetail(m.text) {
			// A text of verbs alone ("%v" of a parser's error) says
			// nothing in Chinese: its reason needs a text of its own.
			if strings.TrimSpace(verbRe.ReplaceAllString(m.text, "")) != "" {
				covered[m.reason] = true
			}
			continue
		}
		missing = append(missing, fmt.Sprintf("%s\t%s\t%q", m.at, m.reason, m.text))
	}
	if len(missing) > 0 {
		t.Errorf("%d problem texts have no Chinese form (internal/msg/detail_*.go):\n%s", len(missing), strings.Join(missing, "\n"))
	}
	for r, at := range reasons {
		if !covered[r] && !c.Has(ProblemDetail(r)) {
			t.Errorf("reason %q (%s) has no catalogue text", r, at)
		}
	}
}
