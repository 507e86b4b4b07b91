package httpapi

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/audit"
	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/msg"
	"github.com/paulmach/orb/geojson"
)

// TopologyAuditor runs the topology audit.
type TopologyAuditor interface {
	AuditFor(ctx context.Context, p *auth.Principal, tree auth.Hierarchy, parent string, sliverM2 float64) (*audit.TopologyReport, error)
}

// registerAuditRoutes:
//
//	GET /api/v1/audits/topology?parent=CODE&sliver_m2=1   gaps, overlaps, outside-parent, invalid
func (s *Server) registerAuditRoutes(r chi.Router) {
	r.Get("/audits/topology", s.h(s.topologyAudit))
}

func (s *Server) topologyAudit(w http.ResponseWriter, r *http.Request) error {
	parent := r.URL.Query().Get("parent")
	if parent != "" && !s.tree().Has(parent) {
		return errs.NotFoundf("grid %s not found", parent)
	}
	sliver, err := queryFloat(r, "sliver_m2", 1, 0, 1e6, "a positive number of square metres up to 1e6")
	if err != nil {
		return err
	}
	rep, err := s.Audits.AuditFor(r.Context(), principal(r), s.tree(), parent, sliver)
	if err != nil {
		return err
	}
	out := TopologyReportJSON(rep)
	// Each finding carries its kind's name in the reader's language.
	l := msg.Lang(lang(r))
	for _, k := range []string{"findings", "slivers"} {
		for _, f := range out[k].(*geojson.FeatureCollection).Features {
			f.Properties["label"] = s.Messages.Sprintf(l, msg.AuditKind(f.Properties["kind"].(string)))
		}
	}
	return s.ok(w, r, out)
}

// TopologyReportJSON renders a report as JSON with GeoJSON FeatureCollections.
func TopologyReportJSON(rep *audit.TopologyReport) map[string]any {
	counts := map[string]int{"gap": 0, "overlap": 0, "outside_parent": 0, "invalid": 0}
	for _, f := range rep.Findings {
		counts[string(f.Kind)]++
	}
	return map[string]any{
		"parent":          rep.Parent,
		"parents_checked": rep.ParentsCheck,
		"sliver_m2":       rep.SliverM2,
		"clean":           rep.Clean(),
		"counts":          counts,
		"findings":        findingsFC(rep.Findings),
		"slivers":         findingsFC(rep.Slivers),
	}
}

func findingsFC(fs []audit.Finding) *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	for _, f := range fs {
		gf := geojson.NewFeature(f.Geometry)
		gf.Properties = geojson.Properties{
			"kind":        string(f.Kind),
			"parent_code": f.ParentCode,
			"codes":       f.Codes,
			"area_m2":     f.AreaM2,
		}
		if f.Reason != "" {
			gf.Properties["reason"] = f.Reason
		}
		fc.Append(gf)
	}
	return fc
}
