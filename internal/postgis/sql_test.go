package postgis

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestNoCatchAllFilters holds the store to the house rule: statements with
// optional filters are built from the filters given (sqlArgs, where), not
// written once with "($n IS NULL OR …)" per filter. The only parameter
// tested for NULL is the case insert's idempotency guard: a one-row INSERT
// whose plan has no index choice to lose.
func TestNoCatchAllFilters(t *testing.T) {
	catchAll := regexp.MustCompile(`(\$\d+|@\w+|\$%\[\d\]d)(::[\w\[\]]+)?\s+IS\s+(NOT\s+)?NULL\s+(OR|AND)\b`)
	allowed := map[string]int{"case.go": 1}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("found %d Go files: not the store package's directory", len(files))
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var hits []string
		for i, line := range strings.Split(string(b), "\n") {
			if trimmed := strings.TrimSpace(line); strings.HasPrefix(trimmed, "//") {
				continue
			}
			if catchAll.MatchString(line) {
				hits = append(hits, f+":"+strconv.Itoa(i+1)+": "+strings.TrimSpace(line))
			}
		}
		if len(hits) > allowed[f] {
			t.Errorf("catch-all optional filter (build the condition only when the filter is given):\n%s", strings.Join(hits, "\n"))
		}
	}
}
