package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
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

func TestNULRefused(t *testing.T) {
	type inner struct {
		Notes []string `json:"notes"`
	}
	type body struct {
		Description string         `json:"description"`
		In          inner          `json:"in"`
		Props       map[string]any `json:"props"`
	}
	for b, field := range map[string]string{
		`{"description":"a\u0000b"}`:               "description",
		`{"in":{"notes":["ok","x\u0000"]}}`:        "in.notes[1]",
		`{"props":{"name":{"zh":"\u0000"}}}`:       "props.name.zh",
		`{"description":"fine","props":{"k":"v"}}`: "",
	} {
		var v body
		r := httptest.NewRequest("POST", "/x", strings.NewReader(b))
		r.Header.Set("Content-Type", "application/json")
		err := decodeJSON(r, &v)
		if field == "" {
			if err != nil {
				t.Errorf("%s: %v", b, err)
			}
			continue
		}
		e, ok := errs.As(err)
		if !ok || e.Kind != errs.Invalid || len(e.Fields) == 0 || e.Fields[0].Field != field {
			t.Errorf("%s: got %v, want 400 naming %s", b, err, field)
		}
	}
	s := New(Deps{})
	h := s.rejectNUL(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	for _, target := range []string{"/api/v1/cases?grid=a%00b", "/api/v1/grids/a%00b", "/api/v1/cases?grid=ok"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
		want := 400
		if !strings.Contains(target, "%00") {
			want = 204
		}
		if w.Code != want {
			t.Errorf("%s: %d, want %d", target, w.Code, want)
		}
	}
}
