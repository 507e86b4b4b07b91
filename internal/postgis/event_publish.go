package postgis

import (
	"strconv"
	"time"

	"github.com/gridd/gridd/internal/events"
	"github.com/gridd/gridd/internal/patrol"
	"github.com/gridd/gridd/internal/registry"
)

// gridEvents publishes grid.edited for changed grids: one event per parent
// naming the codes changed, scoped to the grid itself when it is the only
// one, else to the parent (a root grid scopes itself). An import of
// thousands of grids thus publishes one event per village, not one per
// grid.
func gridEvents(changed []*registry.Grid) []events.Event {
	var out []events.Event
	byParent := map[string]int{}
	for _, g := range changed {
		scope := g.ParentCode
		if scope == "" {
			scope = g.Code
		}
		i, ok := byParent[scope]
		if !ok {
			i = len(out)
			byParent[scope] = i
			out = append(out, events.Event{Kind: events.GridEdited, Object: "grid", ObjectID: g.Code, GridCode: scope,
				Data: map[string]any{"codes": []string{}}})
		}
		e := &out[i]
		codes := append(e.Data["codes"].([]string), g.Code)
		e.Data["codes"] = codes
		if len(codes) == 1 {
			// One grid: scoped to itself (its worker sees it too).
			e.GridCode = g.Code
			e.Data["code"], e.Data["name"], e.Data["version"], e.Data["level"] = g.Code, g.Name, g.Version, g.Level
		} else {
			e.GridCode, e.ObjectID = scope, scope
			delete(e.Data, "code")
			delete(e.Data, "name")
			delete(e.Data, "version")
			delete(e.Data, "level")
		}
	}
	return out
}

// patrolDayEvents publishes patrol.day_updated per recomputed day,
// addressed to its worker and scoped to the grid where the worker patrolled
// longest (none when the day touched no grid).
func patrolDayEvents(days []*patrol.Day, civilDay func(time.Time) string) []events.Event {
	out := make([]events.Event, 0, len(days))
	for _, d := range days {
		grid, best := "", -1.0
		for _, g := range d.Grids {
			if g.PatrolSeconds > best {
				grid, best = g.GridCode, g.PatrolSeconds
			}
		}
		day := civilDay(d.Date)
		out = append(out, events.Event{Kind: events.PatrolDayUpdate, Object: "patrol_day",
			ObjectID: strconv.FormatInt(d.WorkerID, 10) + "/" + day, GridCode: grid, UserIDs: []int64{d.WorkerID},
			Data: map[string]any{"worker_id": d.WorkerID, "date": day, "patrolled": d.Patrolled,
				"patrol_s": d.PatrolSeconds, "distance_m": d.DistanceM, "grid_code": grid}})
	}
	return out
}
