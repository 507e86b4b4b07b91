package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"slices"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// SecondFactorStore keeps users' TOTP secrets and recovery codes.
type SecondFactorStore interface {
	FindTOTP(ctx context.Context, userID int64) (TOTPState, error)
	// SetTOTPSecret starts (or restarts) an enrolment: a new, unconfirmed
	// secret; Conflict when the user has a confirmed one.
	SetTOTPSecret(ctx context.Context, userID int64, secret string) error
	// ConfirmTOTP marks the secret confirmed at step, replaces the
	// recovery codes with codeHashes and turns the enrol-only session
	// tokenHash into a full one — in one transaction.
	ConfirmTOTP(ctx context.Context, userID int64, step int64, codeHashes [][]byte, tokenHash []byte, at time.Time) error
	// UseTOTPStep records step as used; false when it (or a later one)
	// was used already, so a code is accepted once.
	UseTOTPStep(ctx context.Context, userID int64, step int64) (bool, error)
	// UseRecoveryCode marks an unused code used; false when there is none.
	UseRecoveryCode(ctx context.Context, userID int64, codeHash []byte, at time.Time) (bool, error)
	// ResetSecondFactor removes the factor and its recovery codes, demands
	// an enrolment at the next login and revokes the user's sessions.
	ResetSecondFactor(ctx context.Context, userID int64) error
	// DisableTOTP removes a confirmed factor and its recovery codes;
	// Conflict when there is none.
	DisableTOTP(ctx context.Context, userID int64) error
}

// TOTPState is a user's second factor.
type TOTPState struct {
	Secret    string // base32; "" when none
	Confirmed bool
	// EnrolRequired: an admin restarted the enrolment; the user must
	// enrol at its next login whatever its role.
	EnrolRequired bool
}

// TOTPEnrolment is what an authenticator app needs: the secret and the
// otpauth:// URI (shown as a QR code).
type TOTPEnrolment struct {
	Secret string `json:"secret"`
	URI    string `json:"otpauth_uri"`
}

const (
	totpPeriod        = 30
	totpSkew          = 1 // steps either side accepted (clock drift)
	recoveryCodeCount = 10
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Skew: 0, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// AuthenticateEnrolment returns the principal behind token for the
// enrolment routes: an enrol-only session is good here (and only here).
func (s *Service) AuthenticateEnrolment(ctx context.Context, token string) (*Principal, error) {
	if token == "" {
		return nil, errs.E(errs.Unauthorized, "token_required", "a bearer token is required")
	}
	_, u, err := s.session(ctx, hashToken(token))
	if err != nil {
		return nil, err
	}
	return s.principal(ctx, u)
}

// EnrolTOTP starts p's enrolment with a new secret. Refused (409) when p
// has a confirmed second factor already.
func (s *Service) EnrolTOTP(ctx context.Context, p *Principal) (*TOTPEnrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.cfg.Issuer, AccountName: p.User.Username})
	if err != nil {
		return nil, err
	}
	if err := s.sessions.SetTOTPSecret(ctx, p.User.ID, key.Secret()); err != nil {
		return nil, err
	}
	return &TOTPEnrolment{Secret: key.Secret(), URI: key.URL()}, nil
}

// ConfirmTOTP completes p's enrolment with a current code from the app and
// returns the recovery codes (shown once; each works once in place of a
// code). The session of token becomes a full one.
func (s *Service) ConfirmTOTP(ctx context.Context, p *Principal, token, code string) ([]string, error) {
	tf, err := s.sessions.FindTOTP(ctx, p.User.ID)
	if err != nil {
		return nil, err
	}
	if tf.Secret == "" {
		return nil, errs.E(errs.Conflict, "no_enrolment", "start an enrolment first (POST /api/v1/auth/totp)")
	}
	if tf.Confirmed {
		return nil, errs.E(errs.Conflict, "second_factor_enrolled", "a second factor is enrolled already")
	}
	step, ok := matchTOTP(tf.Secret, code, s.cfg.Now())
	if !ok {
		return nil, errs.Invalidf("code", "bad_second_factor", "want the current 6-digit code from your authenticator app")
	}
	codes := make([]string, recoveryCodeCount)
	hashes := make([][]byte, recoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
		hashes[i] = hashRecoveryCode(codes[i])
	}
	if err := s.sessions.ConfirmTOTP(ctx, p.User.ID, step, hashes, hashToken(token), s.cfg.Now()); err != nil {
		return nil, err
	}
	return codes, nil
}

// ResetSecondFactorOf restarts the enrolment of the user named username,
// as p (admin): its factor and recovery codes are removed, its sessions
// revoked, and it must enrol a new factor at its next login.
func (s *Service) ResetSecondFactorOf(ctx context.Context, p *Principal, username string) error {
	if err := p.RequireRole(people.RoleAdmin); err != nil {
		return err
	}
	u, err := s.people.FindUserByUsername(ctx, username)
	if err != nil {
		return err
	}
	if err := s.sessions.ResetSecondFactor(ctx, u.ID); err != nil {
		return err
	}
	return nil
}

// DisableTOTP turns p's own second factor off, given a current code from
// the app (a recovery code does not do): refused when p's role requires a
// factor or an admin demanded the enrolment.
func (s *Service) DisableTOTP(ctx context.Context, p *Principal, code string) error {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return errs.Invalidf("code", "bad_second_factor", "want the current 6-digit code from your authenticator app")
	}
	if slices.Contains(s.cfg.SecondFactorRoles, p.User.Role) {
		return errs.E(errs.Forbidden, "second_factor_required", "role %s must keep a second factor", p.User.Role)
	}
	tf, err := s.sessions.FindTOTP(ctx, p.User.ID)
	if err != nil {
		return err
	}
	if tf.EnrolRequired {
		return errs.E(errs.Forbidden, "second_factor_required", "an admin requires your second factor")
	}
	if !tf.Confirmed {
		return errs.E(errs.Conflict, "no_second_factor", "no second factor to turn off")
	}
	step, ok := matchTOTP(tf.Secret, code, s.cfg.Now())
	if ok {
		if ok, err = s.sessions.UseTOTPStep(ctx, p.User.ID, step); err != nil {
			return err
		}
	}
	if !ok {
		return errs.E(errs.Unprocessable, "bad_second_factor", "the code is wrong, expired or already used").
			WithFields(errs.Field{Field: "code", Reason: "bad_second_factor", Detail: "a current 6-digit TOTP code"})
	}
	return s.sessions.DisableTOTP(ctx, p.User.ID)
}

// checkSecondFactor checks a login's code: a TOTP code not used before, or
// an unused recovery code (then used up).
func (s *Service) checkSecondFactor(ctx context.Context, userID int64, tf TOTPState, code string, now time.Time) (bool, error) {
	code = strings.TrimSpace(code)
	if len(code) == 6 {
		step, ok := matchTOTP(tf.Secret, code, now)
		if !ok {
			return false, nil
		}
		return s.sessions.UseTOTPStep(ctx, userID, step)
	}
	return s.sessions.UseRecoveryCode(ctx, userID, hashRecoveryCode(code), now)
}

// matchTOTP returns the time step whose code is code, within totpSkew
// steps of now.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	if len(code) != 6 {
		return 0, false
	}
	step := now.Unix() / totpPeriod
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		want, err := totp.GenerateCodeCustom(secret, time.Unix((step+d)*totpPeriod, 0), totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step + d, true
		}
	}
	return 0, false
}

// newRecoveryCode returns a code like "k7qm-2x9t-a4bc-d5ef" (80 random
// bits: too many to search offline from a leaked SHA-256 hash).
func newRecoveryCode() string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail
	}
	c := strings.ToLower(base32.StdEncoding.EncodeToString(b)) // 16 characters
	return c[:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:]
}

// hashRecoveryCode hashes a recovery code as typed: case, spaces and
// dashes do not matter.
func hashRecoveryCode(code string) []byte {
	c := strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return r
	}, code)
	h := sha256.Sum256([]byte("gridd-recovery:" + c))
	return h[:]
}
