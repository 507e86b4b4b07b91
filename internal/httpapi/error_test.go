package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gridd/gridd/internal/errs"
)

// TestCancelledRequestIsNotAFailure: a request whose client went away is
// neither logged as an error nor answered 500; a real failure still is.
func TestCancelledRequestIsNotAFailure(t *testing.T) {
	var logs bytes.Buffer
	s := New(Deps{Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest("GET", "/tiles/grids/14/1/1.mvt", nil).WithContext(ctx)
	w := httptest.NewRecorder()
	s.writeError(w, r, fmt.Errorf("render tile: %w", context.Canceled))
	if w.Code == 500 || logs.Len() != 0 {
		t.Fatalf("cancelled request: status %d, logs %q", w.Code, logs.String())
	}
	w = httptest.NewRecorder()
	s.writeError(w, httptest.NewRequest("GET", "/x", nil), errs.E(errs.Internal, "boom", "boom"))
	if w.Code != 500 || !strings.Contains(logs.String(), "request failed") {
		t.Fatalf("internal error: status %d, logs %q", w.Code, logs.String())
	}
}
