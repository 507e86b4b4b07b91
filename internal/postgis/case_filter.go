package postgis

import (
	"fmt"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/casework"
)

// caseWhere is the WHERE clause of the case list and its count, built
// from the filters actually given: each given filter adds one condition
// with its own bound parameters and nothing else. A catch-all statement
// with `($n IS NULL OR …)` for every filter would be planned once for all
// combinations (a generic plan that uses no index after the fifth run);
// this keeps each combination's plan to its own conditions. The clause
// reads only cases c (categories through a sub-select), so the count
// needs no join. now is the instant overdue and deadline_state are judged
// at. An empty clause is "TRUE".
func caseWhere(f casework.CaseFilter, now time.Time, a *sqlArgs) (string, error) {
	var w []string
	if len(f.Status) > 0 {
		st := make([]string, len(f.Status))
		for i, s := range f.Status {
			st[i] = string(s)
		}
		w = append(w, "c.status = ANY("+a.add(st)+"::text[])")
	}
	if f.Grid != nil {
		w = append(w, "c.grid_chain @> ARRAY["+a.add(*f.Grid)+"::text]")
	}
	if f.Unit != nil {
		p := a.add(*f.Unit)
		w = append(w, fmt.Sprintf("(c.lead_unit = %[1]s OR %[1]s = ANY(c.co_units))", p))
	}
	if f.Category != nil {
		if len(*f.Category) == 2 {
			w = append(w, "c.category_code IN (SELECT code FROM case_categories WHERE parent_code = "+a.add(*f.Category)+")")
		} else {
			w = append(w, "c.category_code = "+a.add(*f.Category))
		}
	}
	if f.Source != nil {
		w = append(w, "c.source = "+a.add(*f.Source))
	}
	var nowP string
	at := func() string {
		if nowP == "" {
			nowP = a.add(now) + "::timestamptz"
		}
		return nowP
	}
	if f.Overdue != nil {
		overdue := openCase + " AND c.due_at <= " + at()
		if *f.Overdue {
			w = append(w, overdue)
		} else {
			w = append(w, "("+overdue+") IS NOT TRUE")
		}
	}
	if f.DeadlineState != nil {
		switch *f.DeadlineState {
		case casework.Red:
			w = append(w, openCase+" AND c.due_at <= "+at())
		case casework.Yellow:
			w = append(w, openCase+" AND c.due_at > "+at()+" AND c.warn_at <= "+at())
		case casework.Green:
			w = append(w, openCase+" AND c.due_at > "+at()+" AND (c.warn_at IS NULL OR c.warn_at > "+at()+")")
		default:
			return "", fmt.Errorf("case filter: deadline state %q", *f.DeadlineState)
		}
	}
	if f.BBox != nil {
		w = append(w, fmt.Sprintf("c.geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)",
			a.add(f.BBox.Min[0]), a.add(f.BBox.Min[1]), a.add(f.BBox.Max[0]), a.add(f.BBox.Max[1])))
	}
	if f.From != nil {
		w = append(w, "c.reported_at >= "+a.add(*f.From))
	}
	if f.To != nil {
		w = append(w, "c.reported_at < "+a.add(*f.To))
	}
	if f.ScopeGrids != nil {
		// An empty scope reads nothing (&& with an empty array is false),
		// except the caller's own reports and, for a center, the cases
		// outside every grid.
		scope := []string{"c.grid_chain && " + a.add(f.ScopeGrids) + "::text[]"}
		if f.ScopeReporter != nil {
			scope = append(scope, "c.reporter_id = "+a.add(*f.ScopeReporter))
		}
		if f.ScopeGridless {
			scope = append(scope, "c.grid_code IS NULL")
		}
		w = append(w, "("+strings.Join(scope, " OR ")+")")
	}
	if f.Unassigned {
		w = append(w, "(c.grid_code IS NULL OR c.worker_id IS NULL)")
	}
	if f.ScopeUnit != nil {
		p := a.add(*f.ScopeUnit)
		w = append(w, fmt.Sprintf("(c.lead_unit = %[1]s OR %[1]s = ANY(c.co_units) OR %[1]s = ANY(c.escalated_units))", p))
	}
	if len(f.Numbers) > 0 {
		w = append(w, "c.number = ANY("+a.add(f.Numbers)+"::text[])")
	}
	if f.Reporter != nil {
		w = append(w, "c.reporter_id = "+a.add(*f.Reporter))
	}
	if f.Query != nil {
		// Number prefix (a text_pattern_ops index) or a keyword in the
		// description (a pg_trgm GIN index), both migrations/00021.
		lit := likeEscape(*f.Query)
		w = append(w, "(c.number LIKE "+a.add(lit+"%")+" OR c.description ILIKE "+a.add("%"+lit+"%")+")")
	}
	if len(w) == 0 {
		return "TRUE", nil
	}
	return strings.Join(w, "\n  AND "), nil
}

// likeEscape escapes LIKE's wildcards (the default escape is backslash).
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// caseOrder returns the keyset condition (empty without a cursor) and the
// ORDER BY of the sorted list. The sort expressions come from this switch
// only; a cursor must carry the same sort as the request.
func caseOrder(s casework.CaseSort, after *casework.CaseCursor, a *sqlArgs) (cond, order string, err error) {
	s = s.Normal()
	var expr, val string
	switch s.Key {
	case casework.SortReported:
		expr = "c.reported_at"
	case casework.SortStageDue:
		// Only an open case's clock runs; the rest sort as +infinity.
		expr = "(CASE WHEN " + openCase + " THEN coalesce(c.due_at, 'infinity') ELSE 'infinity' END)"
	case casework.SortNumber:
		expr = "c.number"
	default:
		return "", "", fmt.Errorf("case sort %q", s.Key)
	}
	dir, cmp := "DESC", "<"
	if s.Asc {
		dir, cmp = "ASC", ">"
	}
	order = expr + " " + dir + ", c.id " + dir
	if after == nil {
		return "", order, nil
	}
	if after.Sort.Normal() != s {
		return "", "", fmt.Errorf("case cursor for another sort")
	}
	switch s.Key {
	case casework.SortNumber:
		val = a.add(after.Number) + "::text"
	default:
		if after.Time == nil {
			val = "'infinity'::timestamptz"
		} else {
			val = a.add(*after.Time) + "::timestamptz"
		}
	}
	cond = "(" + expr + ", c.id) " + cmp + " (" + val + ", " + a.add(after.ID) + "::bigint)"
	return cond, order, nil
}
