package postgis

import (
	"context"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
)

// SessionStore implements auth.SessionStore.
type SessionStore struct{ db *DB }

var _ auth.SessionStore = (*SessionStore)(nil)

// NewSessionStore returns the session store on db.
func NewSessionStore(db *DB) *SessionStore { return &SessionStore{db: db} }

// CreateSession stores a hashed token.
func (s *SessionStore) CreateSession(ctx context.Context, tokenHash []byte, userID int64, created, expires time.Time) error {
	_, err := s.db.exec(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		tokenHash, userID, created, expires)
	return translate(err, "session")
}

// FindSession returns the user id and expiry of a live (not revoked) session.
func (s *SessionStore) FindSession(ctx context.Context, tokenHash []byte) (int64, time.Time, error) {
	var uid int64
	var exp time.Time
	err := s.db.Pool.QueryRow(ctx, `SELECT user_id, expires_at FROM sessions WHERE token_hash = $1 AND revoked_at IS NULL`, tokenHash).Scan(&uid, &exp)
	return uid, exp, translate(err, "session")
}

// RevokeSession marks a session revoked.
func (s *SessionStore) RevokeSession(ctx context.Context, tokenHash []byte, at time.Time) error {
	tag, err := s.db.exec(ctx, `UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL`, tokenHash, at)
	if err != nil {
		return translate(err, "session")
	}
	if tag.RowsAffected() == 0 {
		return errs.NotFoundf("session not found")
	}
	return nil
}

// RecordLoginFailure notes a failed login for throttling.
func (s *SessionStore) RecordLoginFailure(ctx context.Context, username string, at time.Time) error {
	_, err := s.db.exec(ctx, `INSERT INTO login_failures (username, at) VALUES ($1, $2)`, username, at)
	return translate(err, "login failure")
}

// CountLoginFailures counts failures for username since t.
func (s *SessionStore) CountLoginFailures(ctx context.Context, username string, since time.Time) (int, error) {
	var n int
	err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM login_failures WHERE username = $1 AND at > $2`, username, since).Scan(&n)
	return n, translate(err, "login failures")
}

// ClearLoginFailures forgets failures after a successful login.
func (s *SessionStore) ClearLoginFailures(ctx context.Context, username string) error {
	_, err := s.db.exec(ctx, `DELETE FROM login_failures WHERE username = $1`, username)
	return translate(err, "login failures")
}
