package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gridd/gridd/internal/errs"
)

// createdStatus is 201 for a new object, 200 with Idempotent-Replayed for
// a retry answered with the object stored first.
func createdStatus(w http.ResponseWriter, replayed bool) int {
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
		return http.StatusOK
	}
	return http.StatusCreated
}

// ifMatchVersion reads the version a conditional write names in If-Match
// (its ETag, quoted or weak); missing is the detail when there is none.
func ifMatchVersion(r *http.Request, missing string) (int, error) {
	im := strings.Trim(strings.TrimPrefix(r.Header.Get("If-Match"), "W/"), `"`)
	if im == "" {
		return 0, errs.Invalidf("If-Match", "if_match_required", "%s", missing)
	}
	version, err := strconv.Atoi(im)
	if err != nil || version < 1 {
		return 0, errs.Invalidf("If-Match", "invalid_if_match", "want the version number from the ETag, got %q", im)
	}
	return version, nil
}
