package auditlog

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
)

// Sealer is a Store whose entries are linked into the chain after they
// commit rather than while they are written.
type Sealer interface {
	// Seal links every committed unsealed entry whose MAC verifies into
	// the chain, in one pass (a no-op while another sealer holds the
	// chain), and returns how many it sealed.
	Seal(ctx context.Context) (int, error)
	// ScanUnsealed calls fn for every entry not sealed yet, in ID order.
	ScanUnsealed(ctx context.Context, fn func(*Entry) error) error
}

// EntryMAC is the hash an entry is written with, before it is linked:
// HMAC-SHA256(key, Canonical(e)), or SHA-256 of it without a key. It
// binds the content and the ID, so that a row inserted by someone without
// the key is not sealed into the chain.
func EntryMAC(key []byte, e *Entry) []byte {
	if len(key) == 0 {
		h := sha256.Sum256(Canonical(e))
		return h[:]
	}
	m := hmac.New(sha256.New, key)
	m.Write(Canonical(e))
	return m.Sum(nil)
}

// CheckMAC reports whether e's MAC is its EntryMAC under key.
func CheckMAC(key []byte, e *Entry) bool {
	return hmac.Equal(e.MAC, EntryMAC(key, e))
}
