// Package auth logs people in, issues and checks bearer tokens, throttles
// guessing, and decides what a principal may see and change.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
)

// SessionStore keeps hashed tokens, login failures and second factors.
type SessionStore interface {
	CreateSession(ctx context.Context, tokenHash []byte, userID int64, created, expires time.Time, enrolOnly bool) error
	FindSession(ctx context.Context, tokenHash []byte) (SessionRecord, error)
	RevokeSession(ctx context.Context, tokenHash []byte, at time.Time) error
	// RecordLoginFailure notes a failed login for username from source.
	RecordLoginFailure(ctx context.Context, username, source string, at time.Time) error
	// LoginFailures counts the failures since t of the (username, source)
	// pair and of source (any username), with the latest of each.
	LoginFailures(ctx context.Context, username, source string, since time.Time) (Failures, error)
	// ClearLoginFailures forgets the failures of the (username, source) pair.
	ClearLoginFailures(ctx context.Context, username, source string) error
	SecondFactorStore
}

// SessionRecord is a stored session.
type SessionRecord struct {
	UserID  int64
	Expires time.Time
	// EnrolOnly: opened by a password alone for a user who must enrol a
	// second factor; good only for enrolling it.
	EnrolOnly bool
}

// Hierarchy answers whether a grid lies in the subtree of another.
type Hierarchy interface {
	IsWithin(code, root string) bool
}

// Config holds the service's tunables.
type Config struct {
	TokenTTL time.Duration // default 12 h
	// FailureWindow is how long a failed login counts for throttling;
	// default 15 min.
	FailureWindow time.Duration
	Now           func() time.Time
	Location      *time.Location // for "today" in assignments; Asia/Shanghai
	DummyHash     string         // verified when the user does not exist, to keep timing flat
	// SecondFactorRoles must log in with a TOTP code (or a recovery
	// code); a user of such a role without one gets an enrol-only session.
	SecondFactorRoles []people.Role
	// Issuer names gridd in authenticator apps; default "gridd".
	Issuer string
	// Cache, when set, keeps the principals of recently used tokens and
	// keys (see Cache); nil reads the database on every request.
	Cache *Cache
}

// Service implements login, token checks and logout.
type Service struct {
	cfg      Config
	sessions SessionStore
	people   people.Store
}

// NewService builds the auth service.
func NewService(cfg Config, sessions SessionStore, ps people.Store) *Service {
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = 12 * time.Hour
	}
	if cfg.FailureWindow == 0 {
		cfg.FailureWindow = 15 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "gridd"
	}
	return &Service{cfg: cfg, sessions: sessions, people: ps}
}

// Session is a freshly issued token.
type Session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	// SecondFactorEnrolmentRequired: the token is good only for enrolling
	// a TOTP second factor (POST /api/v1/auth/totp, then .../confirm).
	SecondFactorEnrolmentRequired bool `json:"second_factor_enrolment_required,omitempty"`
}

// Credentials are what a login presents. Code is a TOTP code or a
// recovery code, needed once the user has a second factor. Source is the
// client's address, for throttling.
type Credentials struct {
	Username string
	Password string
	Code     string
	Source   string
}

// Login checks the password (and the second factor when the user has one)
// and issues a token. Failed attempts slow down further ones from the same
// source (see throttle): TooManyRequests with a RetryAfter.
func (s *Service) Login(ctx context.Context, c Credentials) (*Session, error) {
	now := s.cfg.Now()
	if c.Username == "" || c.Password == "" {
		return nil, errs.Invalidf("username", "credentials_required", "username and password are required")
	}
	f, err := s.sessions.LoginFailures(ctx, c.Username, c.Source, now.Add(-s.cfg.FailureWindow))
	if err != nil {
		return nil, err
	}
	if wait := f.wait(now); wait > 0 {
		e := errs.E(errs.TooManyRequests, "login_throttled",
			"too many failed logins from this address; try again in %s", wait.Round(time.Second))
		e.RetryAfter = wait
		return nil, e
	}
	u, err := s.people.FindUserByUsername(ctx, c.Username)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return nil, err
	}
	ok := false
	if u != nil && u.PasswordHash != "" && !u.Disabled {
		ok = Verify(u.PasswordHash, c.Password)
	} else if s.cfg.DummyHash != "" {
		Verify(s.cfg.DummyHash, c.Password)
	}
	if !ok {
		if err := s.sessions.RecordLoginFailure(ctx, c.Username, c.Source, now); err != nil {
			return nil, err
		}
		return nil, errs.E(errs.Unauthorized, "bad_credentials", "wrong username or password")
	}
	tf, err := s.sessions.FindTOTP(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	enrolOnly := false
	switch {
	case tf.Confirmed:
		if c.Code == "" {
			return nil, errs.E(errs.Unauthorized, "second_factor_required",
				"enter the code from your authenticator app (or a recovery code)").
				WithFields(errs.Field{Field: "code", Reason: "second_factor_required", Detail: "a 6-digit TOTP code or a recovery code"})
		}
		good, err := s.checkSecondFactor(ctx, u.ID, tf, c.Code, now)
		if err != nil {
			return nil, err
		}
		if !good {
			if err := s.sessions.RecordLoginFailure(ctx, c.Username, c.Source, now); err != nil {
				return nil, err
			}
			return nil, errs.E(errs.Unauthorized, "bad_second_factor", "the code is wrong, expired or already used").
				WithFields(errs.Field{Field: "code", Reason: "bad_second_factor", Detail: "a current 6-digit TOTP code or an unused recovery code"})
		}
	case tf.EnrolRequired, slices.Contains(s.cfg.SecondFactorRoles, u.Role):
		enrolOnly = true
	}
	if err := s.sessions.ClearLoginFailures(ctx, c.Username, c.Source); err != nil {
		return nil, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	exp := now.Add(s.cfg.TokenTTL)
	if enrolOnly {
		exp = now.Add(min(s.cfg.TokenTTL, 30*time.Minute))
	}
	if err := s.sessions.CreateSession(ctx, hashToken(token), u.ID, now, exp, enrolOnly); err != nil {
		return nil, err
	}
	return &Session{Token: token, ExpiresAt: exp, SecondFactorEnrolmentRequired: enrolOnly}, nil
}

// Authenticate returns the principal behind a token: from the cache when
// it holds the token, otherwise from the database (and then cached).
func (s *Service) Authenticate(ctx context.Context, token string) (*Principal, error) {
	if token == "" {
		return nil, errs.E(errs.Unauthorized, "token_required", "a bearer token is required")
	}
	h := hashToken(token)
	if p := s.cached(h); p != nil {
		return p, nil
	}
	gen, keep := s.fillStart()
	rec, u, err := s.session(ctx, h)
	if err != nil {
		return nil, err
	}
	if rec.EnrolOnly {
		return nil, errs.E(errs.Forbidden, "second_factor_enrolment_required",
			"your role requires a second factor: enrol one (POST /api/v1/auth/totp, then /api/v1/auth/totp/confirm) and log in again")
	}
	return s.fill(ctx, h, gen, keep, u, rec.Expires)
}

// session returns the live session with token hash h and its user.
func (s *Service) session(ctx context.Context, h []byte) (SessionRecord, *people.User, error) {
	rec, err := s.sessions.FindSession(ctx, h)
	if errs.Is(err, errs.NotFound) {
		return rec, nil, errs.E(errs.Unauthorized, "token_invalid", "the token is unknown or revoked")
	}
	if err != nil {
		return rec, nil, err
	}
	if !s.cfg.Now().Before(rec.Expires) {
		return rec, nil, errs.E(errs.Unauthorized, "token_expired", "the token expired at %s", rec.Expires.Format(time.RFC3339))
	}
	u, err := s.people.FindUserByID(ctx, rec.UserID)
	if err != nil {
		return rec, nil, err
	}
	if u.Disabled {
		return rec, nil, errs.E(errs.Unauthorized, "user_disabled", "the account is disabled")
	}
	return rec, u, nil
}

// cached returns the principal the cache holds for token hash h, if it is
// still good now: not expired, and a worker's grids read for today.
func (s *Service) cached(h []byte) *Principal {
	if s.cfg.Cache == nil {
		return nil
	}
	e, ok := s.cfg.Cache.get(h)
	if !ok {
		return nil
	}
	now := s.cfg.Now()
	if !e.expires.IsZero() && !now.Before(e.expires) {
		s.cfg.Cache.remove(h)
		return nil
	}
	if !e.day.Equal(civilDay(now.In(s.cfg.Location))) {
		return nil
	}
	return e.p
}

func (s *Service) fillStart() (uint64, bool) {
	if s.cfg.Cache == nil {
		return 0, false
	}
	return s.cfg.Cache.begin()
}

// fill builds u's principal and caches it under h, unless an invalidation
// arrived since fillStart (the reads may predate it).
func (s *Service) fill(ctx context.Context, h []byte, gen uint64, keep bool, u *people.User, exp time.Time) (*Principal, error) {
	day := civilDay(s.cfg.Now().In(s.cfg.Location))
	p, err := s.principal(ctx, u)
	if err != nil {
		return nil, err
	}
	if keep {
		s.cfg.Cache.put(h, gen, cached{p: p, expires: exp, day: day})
	}
	return p, nil
}

func (s *Service) principal(ctx context.Context, u *people.User) (*Principal, error) {
	p := &Principal{User: u}
	if u.Role == people.RoleWorker {
		today := civilDay(s.cfg.Now().In(s.cfg.Location))
		as, err := s.people.FindAssignments(ctx, people.AssignmentFilter{UserID: &u.ID, On: &today})
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			if (a.GridRole == people.GridWorker || a.GridRole == people.GridHead) && !slices.Contains(p.Grids, a.GridCode) {
				p.Grids = append(p.Grids, a.GridCode)
			}
		}
	}
	// Shared by every request with the token (the cache): no spare capacity
	// for an append to write into.
	p.Grids = slices.Clip(p.Grids)
	p.scope, p.scoped = slices.Clip(p.gridScope()), true
	return p, nil
}

// PrincipalFor builds the principal of a user without a token (CLI use).
func (s *Service) PrincipalFor(ctx context.Context, u *people.User) (*Principal, error) {
	return s.principal(ctx, u)
}

// Logout revokes the token.
func (s *Service) Logout(ctx context.Context, token string) error {
	h := hashToken(token)
	err := s.sessions.RevokeSession(ctx, h, s.cfg.Now())
	if s.cfg.Cache != nil {
		s.cfg.Cache.drop(h) // at once here; other instances by notification
	}
	if errs.Is(err, errs.NotFound) {
		return errs.E(errs.Unauthorized, "token_invalid", "the token is unknown or revoked")
	}
	return err
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func civilDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
