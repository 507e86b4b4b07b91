package postgis

import (
	"context"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/jackc/pgx/v5"
)

// APIKeyStore implements auth.APIKeyStore.
type APIKeyStore struct{ db *DB }

var _ auth.APIKeyStore = (*APIKeyStore)(nil)

// NewAPIKeyStore returns the API key store on db.
func NewAPIKeyStore(db *DB) *APIKeyStore { return &APIKeyStore{db: db} }

// CreateAPIKey stores a hashed key and sets k.ID.
func (s *APIKeyStore) CreateAPIKey(ctx context.Context, k *auth.APIKey, keyHash []byte) error {
	err := s.db.Pool.QueryRow(ctx, `INSERT INTO api_keys (key_hash, user_id, name, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		keyHash, k.UserID, k.Name, k.CreatedAt, k.ExpiresAt).Scan(&k.ID)
	return translate(err, "api key")
}

// FindAPIKey returns the live key with that hash.
func (s *APIKeyStore) FindAPIKey(ctx context.Context, keyHash []byte) (*auth.APIKey, error) {
	var k auth.APIKey
	err := s.db.Pool.QueryRow(ctx, `SELECT id, user_id, name, created_at, expires_at FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`, keyHash).
		Scan(&k.ID, &k.UserID, &k.Name, &k.CreatedAt, &k.ExpiresAt)
	if err != nil {
		return nil, translate(err, "api key")
	}
	return &k, nil
}

// FindAPIKeys lists a user's keys, newest first.
func (s *APIKeyStore) FindAPIKeys(ctx context.Context, userID int64) ([]*auth.APIKey, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT id, user_id, name, created_at, expires_at, revoked_at FROM api_keys WHERE user_id = $1 ORDER BY id DESC`, userID)
	if err != nil {
		return nil, translate(err, "api keys")
	}
	out := []*auth.APIKey{}
	var k auth.APIKey
	_, err = pgx.ForEachRow(rows, []any{&k.ID, &k.UserID, &k.Name, &k.CreatedAt, &k.ExpiresAt, &k.RevokedAt}, func() error {
		c := k
		out = append(out, &c)
		return nil
	})
	return out, translate(err, "api keys")
}

// RevokeAPIKey revokes key id of userID.
func (s *APIKeyStore) RevokeAPIKey(ctx context.Context, userID, id int64, at time.Time) error {
	tag, err := s.db.exec(ctx, `UPDATE api_keys SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`, id, userID, at)
	if err != nil {
		return translate(err, "api key")
	}
	if tag.RowsAffected() == 0 {
		return errs.NotFoundf("api key %d not found", id)
	}
	return nil
}
