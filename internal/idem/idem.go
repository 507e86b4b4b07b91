// Package idem runs a create under an Idempotency-Key: the request's
// hash is stored with the object, a retry under the same key answers with
// the object stored first, and the key reused for another request is
// refused (422 idempotency_key_reused).
package idem

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"

	"github.com/gridd/gridd/internal/errs"
)

// MaxKey bounds an Idempotency-Key.
const MaxKey = 200

// Once checks key, hashes req (its JSON encoding) and calls create with the
// hash. create stores the object, or, when its creator stored one under key
// before, loads that one and returns replayed true with the stored hash.
// Once returns replayed; a replay of a different request is Unprocessable.
func Once(key string, req any, create func(hash []byte) (replayed bool, stored []byte, err error)) (bool, error) {
	if len(key) > MaxKey {
		return false, errs.Invalidf("Idempotency-Key", "invalid_idempotency_key", "at most %d characters", MaxKey)
	}
	b, err := json.Marshal(req)
	if err != nil {
		return false, err
	}
	sum := sha256.Sum256(b)
	replayed, stored, err := create(sum[:])
	if err != nil {
		return false, err
	}
	if replayed && !bytes.Equal(stored, sum[:]) {
		return false, errs.E(errs.Unprocessable, "idempotency_key_reused", "this Idempotency-Key was used with a different request body")
	}
	return replayed, nil
}
