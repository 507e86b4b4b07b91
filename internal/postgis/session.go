package postgis

import (
	"context"
	"errors"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/registers"
	"github.com/jackc/pgx/v5"
)

// SessionStore implements auth.SessionStore. Cipher seals TOTP secrets at
// rest (bound to their user); without it second factors cannot be stored.
type SessionStore struct {
	db     *DB
	Cipher *registers.Cipher
}

var _ auth.SessionStore = (*SessionStore)(nil)

// NewSessionStore returns the session store on db.
func NewSessionStore(db *DB) *SessionStore { return &SessionStore{db: db} }

// CreateSession stores a hashed token.
func (s *SessionStore) CreateSession(ctx context.Context, tokenHash []byte, userID int64, created, expires time.Time, enrolOnly bool) error {
	_, err := s.db.exec(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at, enrol_only) VALUES ($1, $2, $3, $4, $5)`,
		tokenHash, userID, created, expires, enrolOnly)
	return translate(err, "session")
}

// FindSession returns a live (not revoked) session.
func (s *SessionStore) FindSession(ctx context.Context, tokenHash []byte) (auth.SessionRecord, error) {
	var r auth.SessionRecord
	err := s.db.Pool.QueryRow(ctx, `SELECT user_id, expires_at, enrol_only FROM sessions WHERE token_hash = $1 AND revoked_at IS NULL`, tokenHash).
		Scan(&r.UserID, &r.Expires, &r.EnrolOnly)
	return r, translate(err, "session")
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

// RecordLoginFailure notes a failed login for throttling and forgets
// failures older than a day (throttling looks back 15 minutes).
func (s *SessionStore) RecordLoginFailure(ctx context.Context, username, source string, at time.Time) error {
	return translate(s.db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM login_failures WHERE at < $1`, at.Add(-24*time.Hour)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO login_failures (username, source, at) VALUES ($1, $2, $3)`, username, source, at)
		return err
	}), "login failure")
}

// LoginFailures counts the failures since t of (username, source) and of
// source alone.
func (s *SessionStore) LoginFailures(ctx context.Context, username, source string, since time.Time) (auth.Failures, error) {
	var f auth.Failures
	var pairLast, srcLast *time.Time
	err := s.db.Pool.QueryRow(ctx, `
SELECT count(*) FILTER (WHERE username = $1), max(at) FILTER (WHERE username = $1), count(*), max(at)
FROM login_failures WHERE source = $2 AND at > $3`, username, source, since).Scan(&f.Pair, &pairLast, &f.Source, &srcLast)
	if pairLast != nil {
		f.PairLast = *pairLast
	}
	if srcLast != nil {
		f.SourceLast = *srcLast
	}
	return f, translate(err, "login failures")
}

// ClearLoginFailures forgets the pair's failures after a successful login.
func (s *SessionStore) ClearLoginFailures(ctx context.Context, username, source string) error {
	_, err := s.db.exec(ctx, `DELETE FROM login_failures WHERE username = $1 AND source = $2`, username, source)
	return translate(err, "login failures")
}

// FindTOTP returns a user's second factor.
func (s *SessionStore) FindTOTP(ctx context.Context, userID int64) (auth.TOTPState, error) {
	var t auth.TOTPState
	var sealed []byte
	err := s.db.Pool.QueryRow(ctx, `SELECT totp_secret, totp_confirmed_at IS NOT NULL, totp_enrol_required FROM users WHERE id = $1`, userID).
		Scan(&sealed, &t.Confirmed, &t.EnrolRequired)
	if err != nil || sealed == nil {
		return t, translate(err, "user")
	}
	if s.Cipher == nil {
		return t, errors.New("session store without a cipher for TOTP secrets")
	}
	t.Secret, err = s.Cipher.Open(sealed, registers.AD("users", userID, "totp_secret"))
	return t, err
}

// SetTOTPSecret starts an enrolment unless one is confirmed.
func (s *SessionStore) SetTOTPSecret(ctx context.Context, userID int64, secret string) error {
	if s.Cipher == nil {
		return errors.New("session store without a cipher for TOTP secrets")
	}
	sealed := s.Cipher.Seal(secret, registers.AD("users", userID, "totp_secret"))
	tag, err := s.db.Pool.Exec(ctx, `UPDATE users SET totp_secret = $2, totp_last_step = 0 WHERE id = $1 AND totp_confirmed_at IS NULL`, userID, sealed)
	if err != nil {
		return translate(err, "user")
	}
	if tag.RowsAffected() == 0 {
		return errs.Conflictf("second_factor_enrolled", "a second factor is enrolled already")
	}
	return nil
}

// ConfirmTOTP confirms the secret, stores the recovery codes and upgrades
// the enrolling session, in one transaction.
func (s *SessionStore) ConfirmTOTP(ctx context.Context, userID int64, step int64, codeHashes [][]byte, tokenHash []byte, at time.Time) error {
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET totp_confirmed_at = $2, totp_last_step = $3, totp_enrol_required = false
WHERE id = $1 AND totp_secret IS NOT NULL AND totp_confirmed_at IS NULL`, userID, at, step)
		if err != nil {
			return translate(err, "user")
		}
		if tag.RowsAffected() == 0 {
			return errs.Conflictf("second_factor_enrolled", "a second factor is enrolled already")
		}
		if _, err := tx.Exec(ctx, `DELETE FROM totp_recovery_codes WHERE user_id = $1`, userID); err != nil {
			return translate(err, "recovery codes")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO totp_recovery_codes (user_id, code_hash) SELECT $1, unnest($2::bytea[])`, userID, codeHashes); err != nil {
			return translate(err, "recovery codes")
		}
		_, err = tx.Exec(ctx, `UPDATE sessions SET enrol_only = false WHERE token_hash = $1 AND user_id = $2 AND enrol_only`, tokenHash, userID)
		return translate(err, "session")
	})
}

// UseTOTPStep records step as the last used one, if it is later.
func (s *SessionStore) UseTOTPStep(ctx context.Context, userID int64, step int64) (bool, error) {
	tag, err := s.db.Pool.Exec(ctx, `UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2`, userID, step)
	return tag.RowsAffected() == 1, translate(err, "user")
}

// UseRecoveryCode uses up an unused recovery code.
func (s *SessionStore) UseRecoveryCode(ctx context.Context, userID int64, codeHash []byte, at time.Time) (bool, error) {
	tag, err := s.db.Pool.Exec(ctx, `UPDATE totp_recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`, userID, codeHash, at)
	return tag.RowsAffected() == 1, translate(err, "recovery code")
}

// ResetSecondFactor removes a user's TOTP secret and recovery codes (a
// lost authenticator), demands a new enrolment at its next login and
// revokes its sessions, in one transaction.
func (s *SessionStore) ResetSecondFactor(ctx context.Context, userID int64) error {
	return translate(s.db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET totp_secret = NULL, totp_confirmed_at = NULL, totp_last_step = 0, totp_enrol_required = true WHERE id = $1`, userID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errs.NotFoundf("user not found")
		}
		if _, err := tx.Exec(ctx, `DELETE FROM totp_recovery_codes WHERE user_id = $1`, userID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, userID)
		return err
	}), "user")
}

// DisableTOTP removes a confirmed second factor and its recovery codes,
// unless an admin demanded an enrolment; Conflict when there is none.
func (s *SessionStore) DisableTOTP(ctx context.Context, userID int64) error {
	return translate(s.db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET totp_secret = NULL, totp_confirmed_at = NULL, totp_last_step = 0
WHERE id = $1 AND totp_confirmed_at IS NOT NULL AND NOT totp_enrol_required`, userID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errs.Conflictf("no_second_factor", "no second factor to turn off")
		}
		_, err = tx.Exec(ctx, `DELETE FROM totp_recovery_codes WHERE user_id = $1`, userID)
		return err
	}), "user")
}
