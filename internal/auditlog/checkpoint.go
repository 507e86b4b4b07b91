package auditlog

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Keyed chain and checkpoints.
//
// With an audit key (configuration, never in the database) each link is
// HMAC-SHA256(key, PrevHash || Canonical(entry)): someone who can write
// the table but lacks the key cannot recompute the chain after editing,
// deleting or appending entries. Entries written before a key was
// configured keep their plain SHA-256 links; once a keyed link appears,
// every later link must be keyed.
//
// The chain alone cannot show that its newest entries were cut off. A
// Checkpoint — the ID, hash and count of the newest entry, signed with an
// Ed25519 key derived from the audit key — is written periodically outside
// the database (a directory from configuration); VerifyWith checks the
// chain against the latest one, so deleting the newest rows is detected.

// LinkHash is the hash of e after prev: keyed when key is set.
func LinkHash(key, prev []byte, e *Entry) []byte {
	if len(key) == 0 {
		return ChainHash(prev, e)
	}
	m := hmac.New(sha256.New, key)
	m.Write(prev)
	m.Write(Canonical(e))
	return m.Sum(nil)
}

// SigningKey derives the checkpoint signing key from the audit key.
func SigningKey(auditKey []byte) ed25519.PrivateKey {
	m := hmac.New(sha256.New, auditKey)
	m.Write([]byte("gridd audit checkpoint signing key v1"))
	return ed25519.NewKeyFromSeed(m.Sum(nil))
}

// Checkpoint records the head of the chain at a moment, signed.
type Checkpoint struct {
	At      time.Time `json:"at"`
	Entries int       `json:"entries"`
	LastID  int64     `json:"last_id"`
	Head    string    `json:"head"` // hex hash of entry LastID
	// PublicKey (hex) verifies Signature over the other fields.
	PublicKey string `json:"public_key"`
	Signature string `json:"signature"`
}

func (c *Checkpoint) signed() []byte {
	return fmt.Appendf(nil, "gridd-audit-checkpoint-v1\n%s\n%d\n%d\n%s", c.At.UTC().Format(time.RFC3339Nano), c.Entries, c.LastID, c.Head)
}

// NewCheckpoint signs the head reported by rep.
func NewCheckpoint(rep *Report, at time.Time, key ed25519.PrivateKey) *Checkpoint {
	c := &Checkpoint{At: at.UTC(), Entries: rep.Entries, LastID: rep.LastID, Head: rep.Head,
		PublicKey: hex.EncodeToString(key.Public().(ed25519.PublicKey))}
	c.Signature = hex.EncodeToString(ed25519.Sign(key, c.signed()))
	return c
}

// CheckSignature reports whether c is signed by pub.
func (c *Checkpoint) CheckSignature(pub ed25519.PublicKey) bool {
	sig, err := hex.DecodeString(c.Signature)
	if err != nil {
		return false
	}
	return ed25519.Verify(pub, c.signed(), sig)
}

// ParseCheckpoint reads a checkpoint file's JSON.
func ParseCheckpoint(b []byte) (*Checkpoint, error) {
	var c Checkpoint
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("audit checkpoint: %w", err)
	}
	return &c, nil
}

// VerifyOptions are what VerifyWith checks the chain against.
type VerifyOptions struct {
	// Key is the audit key; nil checks plain links only (and fails on
	// keyed ones).
	Key []byte
	// ExpectHead, when set, must be the hash of some entry.
	ExpectHead string
	// Checkpoint, when set, must be signed by the key derived from Key and
	// its entry must still be in the chain with its hash.
	Checkpoint *Checkpoint
}

// VerifyWith walks the whole chain like Verify, with a key and a checkpoint.
func VerifyWith(ctx context.Context, st Store, o VerifyOptions) (*Report, error) {
	rep := &Report{OK: true, Breaks: []Break{}}
	prev := Genesis
	headSeen := o.ExpectHead == ""
	cpSeen := o.Checkpoint == nil
	keyed := false
	if o.Checkpoint != nil && (len(o.Key) == 0 || !o.Checkpoint.CheckSignature(SigningKey(o.Key).Public().(ed25519.PublicKey))) {
		rep.Breaks = append(rep.Breaks, Break{Reason: "checkpoint_signature",
			Detail: "the checkpoint is not signed with this deployment's audit key"})
	}
	sealer, _ := st.(Sealer)
	if sealer != nil {
		if _, err := sealer.Seal(ctx); err != nil {
			return nil, err
		}
	}
	err := st.Scan(ctx, func(e *Entry) error {
		rep.Entries++
		if !bytes.Equal(e.PrevHash, prev) {
			rep.Breaks = append(rep.Breaks, Break{ID: e.ID, Reason: "prev_hash_mismatch",
				Detail: fmt.Sprintf("entry %d does not follow the entry before it (deleted, inserted or reordered entries)", e.ID)})
		}
		switch {
		case len(o.Key) > 0 && hmac.Equal(LinkHash(o.Key, e.PrevHash, e), e.Hash):
			keyed = true
		case !keyed && bytes.Equal(ChainHash(e.PrevHash, e), e.Hash):
		case keyed && bytes.Equal(ChainHash(e.PrevHash, e), e.Hash):
			rep.Breaks = append(rep.Breaks, Break{ID: e.ID, Reason: "unkeyed_link",
				Detail: fmt.Sprintf("entry %d is linked without the audit key after keyed entries (forged)", e.ID)})
		default:
			rep.Breaks = append(rep.Breaks, Break{ID: e.ID, Reason: "content_altered",
				Detail: fmt.Sprintf("entry %d does not match its stored hash (its content was changed, or it was written without the key)", e.ID)})
		}
		if !headSeen && hex.EncodeToString(e.Hash) == o.ExpectHead {
			headSeen = true
		}
		if o.Checkpoint != nil && e.ID == o.Checkpoint.LastID {
			cpSeen = hex.EncodeToString(e.Hash) == o.Checkpoint.Head
		}
		prev = e.Hash
		rep.Head = hex.EncodeToString(e.Hash)
		rep.LastID = e.ID
		return nil
	})
	if err != nil {
		return nil, err
	}
	if sealer != nil {
		// What the seal above left: committed since (its MAC verifies), or
		// refused by the sealer (forged: inserted without the key).
		err := sealer.ScanUnsealed(ctx, func(e *Entry) error {
			rep.Unsealed++
			switch {
			case CheckMAC(o.Key, e):
			case len(o.Key) > 0 && CheckMAC(nil, e):
				rep.Breaks = append(rep.Breaks, Break{ID: e.ID, Reason: "unkeyed_link",
					Detail: fmt.Sprintf("entry %d is written without the audit key (forged); it is not sealed into the chain", e.ID)})
			default:
				rep.Breaks = append(rep.Breaks, Break{ID: e.ID, Reason: "unsealed_forged",
					Detail: fmt.Sprintf("entry %d does not match its own hash; it is not sealed into the chain", e.ID)})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if !headSeen {
		rep.Breaks = append(rep.Breaks, Break{Reason: "head_missing",
			Detail: "no entry has the expected head hash " + o.ExpectHead + " (the chain was rewritten or cut)"})
	}
	if !cpSeen || (o.Checkpoint != nil && rep.Entries < o.Checkpoint.Entries) {
		rep.Breaks = append(rep.Breaks, Break{ID: o.Checkpoint.LastID, Reason: "checkpoint_missing",
			Detail: fmt.Sprintf("the checkpoint of %s names entry %d with %d entries; the chain no longer holds it (the newest entries were deleted or rewritten)",
				o.Checkpoint.At.Format(time.RFC3339), o.Checkpoint.LastID, o.Checkpoint.Entries)})
	}
	rep.OK = len(rep.Breaks) == 0
	return rep, nil
}
