package httpapi

import (
	"net/http"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/registry"
	"github.com/paulmach/orb/geojson"
)

// The history of grids and routing layers: what differs between two
// instants. Both answer
//
//	{"from", "to", "counts": {"added", "removed", "changed"}, "changes": [...],
//	 "before": FeatureCollection, "after": FeatureCollection}
//
// where before holds the removed and changed items as they were at from,
// after the added and changed ones as they are at to (each feature's
// "change" says which). A date means the end of that day (Asia/Shanghai),
// as ?at= of the grid list.

type historyCounts struct {
	Added   int `json:"added"`
	Removed int `json:"removed"`
	Changed int `json:"changed"`
}

func (c *historyCounts) count(change string) {
	switch change {
	case registry.ChangeAdded:
		c.Added++
	case registry.ChangeRemoved:
		c.Removed++
	default:
		c.Changed++
	}
}

type historyJSON[C any] struct {
	From    string            `json:"from"`
	To      string            `json:"to"`
	Counts  historyCounts     `json:"counts"`
	Changes []C               `json:"changes"`
	Before  featureCollection `json:"before"`
	After   featureCollection `json:"after"`
}

func newHistory[C any](from, to time.Time) *historyJSON[C] {
	return &historyJSON[C]{From: from.UTC().Format(time.RFC3339Nano), To: to.UTC().Format(time.RFC3339Nano), Changes: []C{},
		Before: featureCollection{Type: "FeatureCollection", Features: []*geojson.Feature{}},
		After:  featureCollection{Type: "FeatureCollection", Features: []*geojson.Feature{}}}
}

func (h *historyJSON[C]) add(c C, change string, before, after *geojson.Feature) {
	h.Changes = append(h.Changes, c)
	h.Counts.count(change)
	if before != nil {
		before.Properties["change"] = change
		h.Before.Features = append(h.Before.Features, before)
	}
	if after != nil {
		after.Properties["change"] = change
		h.After.Features = append(h.After.Features, after)
	}
	h.Before.NumberReturned, h.After.NumberReturned = len(h.Before.Features), len(h.After.Features)
}

// queryFromTo reads the two required instants from and to.
func queryFromTo(r *http.Request) (time.Time, time.Time, error) {
	from, err := queryAt(r, "from")
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	to, err := queryAt(r, "to")
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	if from == nil || to == nil {
		return time.Time{}, time.Time{}, errs.Invalidf("from,to", "range_required", "want the two dates to compare: from and to (YYYY-MM-DD or RFC 3339)")
	}
	return *from, *to, nil
}

type gridChangeJSON struct {
	Code            string   `json:"code"`
	Change          string   `json:"change"`
	Name            string   `json:"name"`
	ParentCode      string   `json:"parent_code"`
	VersionFrom     *int     `json:"version_from"`
	VersionTo       *int     `json:"version_to"`
	AreaFromM2      *float64 `json:"area_from_m2"`
	AreaToM2        *float64 `json:"area_to_m2"`
	GainedM2        float64  `json:"gained_m2"`
	LostM2          float64  `json:"lost_m2"`
	GeometryChanged bool     `json:"geometry_changed"`
}

// gridHistory is GET /api/v1/grids/history?from=&to=&parent=&level=.
func (s *Server) gridHistory(w http.ResponseWriter, r *http.Request) error {
	from, to, err := queryFromTo(r)
	if err != nil {
		return err
	}
	f := registry.HistoryFilter{From: from, To: to}
	if v := r.URL.Query().Get("parent"); v != "" {
		f.Parent = &v
	}
	if r.URL.Query().Get("level") != "" {
		n, err := queryInt(r, "level", 0, 1, 32)
		if err != nil {
			return err
		}
		f.Level = &n
	}
	changes, err := s.Grids.History(r.Context(), principal(r), f)
	if err != nil {
		return err
	}
	out := newHistory[gridChangeJSON](from, to)
	for _, c := range changes {
		j := gridChangeJSON{Code: c.Code, Change: c.Change, GainedM2: round(c.GainedM2, 1), LostM2: round(c.LostM2, 1), GeometryChanged: c.GeometryChanged}
		var bf, af *geojson.Feature
		if g := c.Before; g != nil {
			j.Name, j.ParentCode, j.VersionFrom = g.Name, g.ParentCode, &g.Version
			a := round(g.AreaM2, 1)
			j.AreaFromM2 = &a
			bf = gridFeature(g)
		}
		if g := c.After; g != nil {
			j.Name, j.ParentCode, j.VersionTo = g.Name, g.ParentCode, &g.Version
			a := round(g.AreaM2, 1)
			j.AreaToM2 = &a
			af = gridFeature(g)
		}
		out.add(j, c.Change, bf, af)
	}
	s.writeJSON(w, r, http.StatusOK, "application/json", out)
	return nil
}
