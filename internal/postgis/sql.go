package postgis

import (
	"fmt"
	"strconv"
	"strings"
)

// sprintf fills numbered parameter positions into a static SQL fragment.
// Only integers are substituted: never values.
func sprintf(fragment string, n int) string { return fmt.Sprintf(fragment, n) }

// sqlArgs collects the bound parameters of one statement; add returns the
// placeholder of the value it appended, so conditions are numbered in the
// order they are written. Statements with optional filters are built from
// the filters actually given — one condition per given filter — instead of
// a catch-all `($n IS NULL OR …)` per possible filter, whose generic plan
// serves every combination and uses no index once PostgreSQL switches to it.
type sqlArgs struct{ vals []any }

func (a *sqlArgs) add(v any) string {
	a.vals = append(a.vals, v)
	return "$" + strconv.Itoa(len(a.vals))
}

// and joins conditions into a WHERE clause body; no conditions is TRUE.
func and(conds []string) string {
	if len(conds) == 0 {
		return "TRUE"
	}
	return strings.Join(conds, "\n  AND ")
}

// gridScopeCondition is the condition "column lies in one of the current
// grid subtrees rooted at roots", with its parameter added to a.
func gridScopeCondition(a *sqlArgs, column string, roots []string) string {
	return column + ` IN (WITH RECURSIVE scope AS (
	SELECT code FROM grid_versions WHERE valid_to IS NULL AND code = ANY(` + a.add(roots) + `::text[])
	UNION
	SELECT g.code FROM grid_versions g JOIN scope ON g.parent_code = scope.code WHERE g.valid_to IS NULL
) SELECT code FROM scope)`
}
