package postgis

import (
	"testing"

	"github.com/gridd/gridd/internal/errs"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestTranslateBlamesTheClientOnlyForItsGeometry (issue 16): on main,
// 22023 and XX000 became a client 400 for every query, so a failing
// topology audit over stored grids told the client to fix its request.
func TestTranslateBlamesTheClientOnlyForItsGeometry(t *testing.T) {
	for _, code := range []string{"22023", "XX000"} {
		pe := &pgconn.PgError{Code: code, Message: "GEOSIntersects: TopologyException"}
		if k := errs.KindOf(translate(pe, "topology audit")); k != errs.Internal {
			t.Errorf("translate %s: kind %v, want internal", code, k)
		}
		e, ok := errs.As(translateWrite(pe, "grid 1"))
		if !ok || e.Kind != errs.Unprocessable || len(e.Fields) != 1 || e.Fields[0].Field != "geometry" {
			t.Errorf("translateWrite %s: %+v, want 422 naming geometry", code, e)
		}
	}
	if k := errs.KindOf(translateWrite(&pgconn.PgError{Code: "23505"}, "grid 1")); k != errs.Conflict {
		t.Errorf("translateWrite 23505: %v, want conflict", k)
	}
}
