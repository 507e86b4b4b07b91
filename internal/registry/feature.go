package registry

import (
	"github.com/paulmach/orb"

	"github.com/gridd/gridd/internal/errs"
)

// Feature is one grid polygon read from an import file (GeoJSON or
// Shapefile), before it is validated and stored.
type Feature struct {
	// Index is the position of the feature in the source file (0-based:
	// the GeoJSON features array, or the Shapefile record). Problems name it.
	Index int
	// Code is the DB11 code; it may be empty when NumberCodes is to assign it.
	Code       string
	Name       string
	Level      int
	ParentCode string
	Geometry   orb.MultiPolygon
}

// Problem is one reason a feature (or the whole file) is rejected. Field
// locates it ("features[3].geometry", "crs"), Index and Code name the feature,
// Reason is a stable key ("ring_not_closed") and Detail says in English what
// was expected.
type Problem = errs.Field

// newProblem builds a Problem for the feature at index (index < 0: none).
func newProblem(field string, index int, code, reason, detail string) Problem {
	p := Problem{Field: field, Code: code, Reason: reason, Detail: detail}
	if index >= 0 {
		i := index
		p.Index = &i
	}
	return p
}

// ProblemsError wraps the problems of a rejected import in one *errs.Error of
// kind Invalid with reason "invalid_features", or returns nil when there are
// none. Nothing of a rejected import may be stored.
func ProblemsError(problems []Problem) error {
	if len(problems) == 0 {
		return nil
	}
	return errs.E(errs.Invalid, "invalid_features", "the import was rejected: %d problem(s) found", len(problems)).WithFields(problems...)
}
