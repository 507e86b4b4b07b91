package casework

import (
	"testing"
	"time"

	"github.com/gridd/gridd/internal/errs"
)

// TestReportTextIsUTF8: a description or an idempotency key that is no
// UTF-8 text (a form's bytes, a header's) is refused naming its field,
// before anything is stored, where it would otherwise be stored changed.
func TestReportTextIsUTF8(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	fieldReasons := func(err error) map[string]string {
		out := map[string]string{}
		if e, ok := errs.As(err); ok {
			for _, f := range e.Fields {
				out[f.Field] = f.Reason
			}
		}
		return out
	}
	r := Report{Category: "0101", Description: "井盖缺失", Lon: 117.53, Lat: 36.70, Source: string(SourceWorkerApp)}
	if err := r.Validate(now); err != nil {
		t.Fatalf("a valid report: %v", err)
	}
	r.Description = "井盖\xff缺失"
	if got := fieldReasons(r.Validate(now)); got["description"] != "invalid_utf8" {
		t.Errorf("description of invalid UTF-8: fields %v, want description invalid_utf8", got)
	}
	if err := CheckKey("report-7f3a"); err != nil {
		t.Errorf("a valid key: %v", err)
	}
	for _, key := range []string{"report-\xff", string(make([]byte, MaxIdempotencyKey+1))} {
		if got := fieldReasons(CheckKey(key)); got["Idempotency-Key"] != "invalid_idempotency_key" {
			t.Errorf("key %q: fields %v, want Idempotency-Key invalid_idempotency_key", key, got)
		}
	}
}
