package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/errs"
)

// APIKey is a long-lived key a user creates for a desktop GIS client
// (QGIS, GDAL), passed as ?key=. Only its hash is stored; the key itself is
// returned once, at creation.
type APIKey struct {
	ID        int64      `json:"id"`
	UserID    int64      `json:"-"`
	Name      string     `json:"name"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	// Key is set only in the answer to its creation.
	Key string `json:"key,omitempty"`
}

// APIKeyStore keeps hashed API keys.
type APIKeyStore interface {
	CreateAPIKey(ctx context.Context, k *APIKey, keyHash []byte) error
	// FindAPIKey returns the live (not revoked) key with that hash.
	FindAPIKey(ctx context.Context, keyHash []byte) (*APIKey, error)
	FindAPIKeys(ctx context.Context, userID int64) ([]*APIKey, error)
	// RevokeAPIKey revokes key id of userID; NotFound when it is not theirs
	// or already revoked.
	RevokeAPIKey(ctx context.Context, userID, id int64, at time.Time) error
}

// keyPrefix marks gridd API keys, so a leaked one is recognisable.
const keyPrefix = "gk_"

// KeyService issues and checks API keys; a key resolves to the same
// Principal as its user's bearer token would. Keys expire (TTL by default,
// at most MaxTTL after creation) and are revoked when their user's
// password changes (the people store's SetPassword).
type KeyService struct {
	*Service
	Keys APIKeyStore
	// TTL is a new key's lifetime when the request names none (default 90
	// days); MaxTTL the longest one may ask for (default 365 days).
	TTL, MaxTTL time.Duration
}

const day = 24 * time.Hour

func (s *KeyService) ttls() (def, maxTTL time.Duration) {
	def, maxTTL = s.TTL, s.MaxTTL
	if maxTTL <= 0 {
		maxTTL = 365 * day
	}
	if def <= 0 {
		def = 90 * day
	}
	return min(def, maxTTL), maxTTL
}

// CreateAPIKey issues a key named name for p's user, valid for days days
// (0: the default lifetime).
func (s *KeyService) CreateAPIKey(ctx context.Context, p *Principal, name string, days int) (*APIKey, error) {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 100 {
		return nil, errs.Invalidf("name", "invalid_name", "want a name of 1 to 100 characters, e.g. \"QGIS 办公室\"")
	}
	ttl, maxTTL := s.ttls()
	if days < 0 || time.Duration(days)*day > maxTTL {
		return nil, errs.Invalidf("expires_in_days", "invalid_lifetime", "want 1 to %d days, or omit it for %d", int(maxTTL/day), int(ttl/day))
	}
	if days > 0 {
		ttl = time.Duration(days) * day
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	key := keyPrefix + base64.RawURLEncoding.EncodeToString(raw)
	now := s.cfg.Now()
	k := &APIKey{UserID: p.User.ID, Name: name, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := s.Keys.CreateAPIKey(ctx, k, hashToken(key)); err != nil {
		return nil, err
	}
	k.Key = key
	return k, nil
}

// APIKeys lists p's keys, revoked ones included, without the keys.
func (s *KeyService) APIKeys(ctx context.Context, p *Principal) ([]*APIKey, error) {
	return s.Keys.FindAPIKeys(ctx, p.User.ID)
}

// RevokeAPIKey revokes one of p's keys.
func (s *KeyService) RevokeAPIKey(ctx context.Context, p *Principal, id int64) error {
	err := s.Keys.RevokeAPIKey(ctx, p.User.ID, id, s.cfg.Now())
	if s.cfg.Cache != nil {
		// The key's hash is not known here: drop the user's entries at
		// once (other instances drop the key by notification).
		s.cfg.Cache.dropUser(p.User.ID)
	}
	return err
}

// AuthenticateKey returns the principal behind an API key.
func (s *KeyService) AuthenticateKey(ctx context.Context, key string) (*Principal, error) {
	if key == "" {
		return nil, errs.E(errs.Unauthorized, "key_required", "a bearer token or an API key (?key=) is required")
	}
	if !strings.HasPrefix(key, keyPrefix) {
		return nil, errs.E(errs.Unauthorized, "key_invalid", "the API key is unknown or revoked")
	}
	h := hashToken(key)
	if p := s.cached(h); p != nil {
		return p, nil
	}
	gen, keep := s.fillStart()
	k, err := s.Keys.FindAPIKey(ctx, h)
	if errs.Is(err, errs.NotFound) {
		return nil, errs.E(errs.Unauthorized, "key_invalid", "the API key is unknown or revoked")
	}
	if err != nil {
		return nil, err
	}
	if !s.cfg.Now().Before(k.ExpiresAt) {
		return nil, errs.E(errs.Unauthorized, "key_expired", "the API key expired at %s; create a new one", k.ExpiresAt.Format(time.RFC3339))
	}
	u, err := s.people.FindUserByID(ctx, k.UserID)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, errs.E(errs.Unauthorized, "user_disabled", "the account is disabled")
	}
	return s.fill(ctx, h, gen, keep, u, k.ExpiresAt)
}
