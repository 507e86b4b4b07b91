package httpapi

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHandlersDecideNoAccess: access rules live in the services that take
// the caller (*auth.Principal), so that a handler or a command cannot
// bypass them. A handler that checks a role or a grid edit right itself
// (RequireRole, CanEditGrids) fails this test: move the rule into the
// service method the handler calls.
func TestHandlersDecideNoAccess(t *testing.T) {
	forbidden := map[string]bool{"RequireRole": true, "CanEditGrids": true, "CanReadGrid": true, "CanRead": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && forbidden[sel.Sel.Name] {
				t.Errorf("%s: a handler calls %s; the rule belongs in the service it calls", fset.Position(call.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
	if checked < 20 {
		t.Fatalf("checked %d files; the test does not see the handlers", checked)
	}
}
