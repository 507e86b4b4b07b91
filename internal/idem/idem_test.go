package idem

import (
	"errors"
	"strings"
	"testing"

	"github.com/gridd/gridd/internal/errs"
)

// TestOnce: a new object is not a replay; a replay of the same request is;
// a replay of another request under the key is Unprocessable; an overlong
// key is refused before anything is stored.
func TestOnce(t *testing.T) {
	stored := map[string][]byte{}
	create := func(key string) func([]byte) (bool, []byte, error) {
		return func(hash []byte) (bool, []byte, error) {
			if h, ok := stored[key]; ok {
				return true, h, nil
			}
			stored[key] = hash
			return false, nil, nil
		}
	}
	req := map[string]any{"notes": "上午巡查"}
	if replayed, err := Once("k", req, create("k")); err != nil || replayed {
		t.Fatalf("first: %v %v", replayed, err)
	}
	if replayed, err := Once("k", req, create("k")); err != nil || !replayed {
		t.Errorf("retry: %v %v", replayed, err)
	}
	var e *errs.Error
	if _, err := Once("k", map[string]any{"notes": "别的"}, create("k")); !errors.As(err, &e) || e.Kind != errs.Unprocessable {
		t.Errorf("another body under the key: %v", err)
	}
	called := false
	if _, err := Once(strings.Repeat("x", MaxKey+1), req, func([]byte) (bool, []byte, error) { called = true; return false, nil, nil }); !errors.As(err, &e) || e.Kind != errs.Invalid || called {
		t.Errorf("an overlong key: %v, create called %v", err, called)
	}
}
