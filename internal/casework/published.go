package casework

import (
	"strconv"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/events"
)

// Published returns the events a write of c publishes, one or more per
// timeline entry tl of c (entries of other cases, such as the original's
// merged_in, publish nothing): case.created at intake; case.changed for a
// transition (Data action and status); besides, case.closed when c is
// closed and case.returned when it is sent back to its reporter (rejected,
// or verification failed), both addressed to the reporter (UserIDs).
//
// Scope: the case's grid, its lead and co-units; the grid worker
// responsible is addressed too. Data names the case: id (set by the store
// at intake, when the id is not known before), number, status, category,
// grid_code, lon, lat, and escalated_from when escalated.
func Published(c *Case, tl []*Event) []events.Event {
	var out []events.Event
	for _, e := range tl {
		if e.CaseID != 0 && e.CaseID != c.ID {
			continue
		}
		switch e.Action {
		case ActReport:
			out = append(out, caseEvent(c, events.CaseCreated, e))
		case ActCloseOnSite:
			out = append(out, caseEvent(c, events.CaseClosed, e))
		default:
			out = append(out, caseEvent(c, events.CaseChanged, e))
			switch {
			case e.ToStatus == StatusClosed:
				out = append(out, caseEvent(c, events.CaseClosed, e))
			case e.Action == ActReject, e.Action == ActVerifyFail:
				out = append(out, caseEvent(c, events.CaseReturned, e))
			}
		}
	}
	return out
}

func caseEvent(c *Case, kind events.Kind, e *Event) events.Event {
	units := []string{}
	if c.LeadUnit != "" {
		units = append(units, c.LeadUnit)
	}
	units = append(units, c.CoUnits...)
	var users []int64
	if kind == events.CaseClosed || kind == events.CaseReturned {
		if c.ReporterID != 0 {
			users = append(users, c.ReporterID)
		}
	}
	data := map[string]any{
		"number": c.Number, "status": string(c.Status), "category": c.Category, "grid_code": c.GridCode,
		"lon": c.Location[0], "lat": c.Location[1], "action": string(e.Action),
	}
	if c.ID != 0 {
		data["id"] = c.ID
	}
	if c.EscalatedFrom != "" {
		data["escalated_from"] = c.EscalatedFrom
	}
	if c.Emergency {
		data["emergency"] = true
	}
	if kind == events.CaseClosed || kind == events.CaseReturned {
		if e.Comment != "" {
			data["comment"] = e.Comment
		}
	}
	return events.Event{Kind: kind, Object: "case", ObjectID: strconv.FormatInt(c.ID, 10), GridCode: c.GridCode,
		UnitCodes: units, UserIDs: users, Data: data}
}

// CanReadEvent reports whether p may see case event e: the rule of reading
// the case (CanRead) applied to the case as the event scopes it (its grid,
// its units, the grid it was escalated from).
func CanReadEvent(p *auth.Principal, h Hierarchy, e events.Event) bool {
	return CanRead(p, h, caseOfEvent(e))
}

func caseOfEvent(e events.Event) *Case {
	c := &Case{GridCode: e.GridCode}
	if len(e.UnitCodes) > 0 {
		c.LeadUnit, c.CoUnits = e.UnitCodes[0], e.UnitCodes[1:]
	}
	if s, ok := e.Data["escalated_from"].(string); ok {
		c.EscalatedFrom = s
	}
	return c
}
