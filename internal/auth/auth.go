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

// SessionStore keeps hashed tokens and login failures.
type SessionStore interface {
	CreateSession(ctx context.Context, tokenHash []byte, userID int64, created, expires time.Time) error
	FindSession(ctx context.Context, tokenHash []byte) (userID int64, expires time.Time, err error)
	RevokeSession(ctx context.Context, tokenHash []byte, at time.Time) error
	RecordLoginFailure(ctx context.Context, username string, at time.Time) error
	CountLoginFailures(ctx context.Context, username string, since time.Time) (int, error)
	ClearLoginFailures(ctx context.Context, username string) error
}

// Hierarchy answers whether a grid lies in the subtree of another.
type Hierarchy interface {
	IsWithin(code, root string) bool
}

// Config holds the service's tunables.
type Config struct {
	TokenTTL      time.Duration // default 12 h
	MaxFailures   int           // failed logins allowed per window; default 5
	FailureWindow time.Duration // default 15 min
	Now           func() time.Time
	Location      *time.Location // for "today" in assignments; Asia/Shanghai
	DummyHash     string         // verified when the user does not exist, to keep timing flat
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
	if cfg.MaxFailures == 0 {
		cfg.MaxFailures = 5
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
	return &Service{cfg: cfg, sessions: sessions, people: ps}
}

// Session is a freshly issued token.
type Session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Login checks the password and issues a token. After MaxFailures failed
// attempts within FailureWindow further attempts are refused with
// TooManyRequests until the window passes, even with the right password.
func (s *Service) Login(ctx context.Context, username, password string) (*Session, error) {
	now := s.cfg.Now()
	if username == "" || password == "" {
		return nil, errs.Invalidf("username", "credentials_required", "username and password are required")
	}
	n, err := s.sessions.CountLoginFailures(ctx, username, now.Add(-s.cfg.FailureWindow))
	if err != nil {
		return nil, err
	}
	if n >= s.cfg.MaxFailures {
		return nil, errs.E(errs.TooManyRequests, "login_throttled",
			"too many failed logins for %s; try again in %s", username, s.cfg.FailureWindow)
	}
	u, err := s.people.FindUserByUsername(ctx, username)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return nil, err
	}
	ok := false
	if u != nil && u.PasswordHash != "" && !u.Disabled {
		ok = Verify(u.PasswordHash, password)
	} else if s.cfg.DummyHash != "" {
		Verify(s.cfg.DummyHash, password)
	}
	if !ok {
		if err := s.sessions.RecordLoginFailure(ctx, username, now); err != nil {
			return nil, err
		}
		return nil, errs.E(errs.Unauthorized, "bad_credentials", "wrong username or password")
	}
	if err := s.sessions.ClearLoginFailures(ctx, username); err != nil {
		return nil, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	exp := now.Add(s.cfg.TokenTTL)
	if err := s.sessions.CreateSession(ctx, hashToken(token), u.ID, now, exp); err != nil {
		return nil, err
	}
	return &Session{Token: token, ExpiresAt: exp}, nil
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
	uid, exp, err := s.sessions.FindSession(ctx, h)
	if errs.Is(err, errs.NotFound) {
		return nil, errs.E(errs.Unauthorized, "token_invalid", "the token is unknown or revoked")
	}
	if err != nil {
		return nil, err
	}
	if !s.cfg.Now().Before(exp) {
		return nil, errs.E(errs.Unauthorized, "token_expired", "the token expired at %s", exp.Format(time.RFC3339))
	}
	u, err := s.people.FindUserByID(ctx, uid)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, errs.E(errs.Unauthorized, "user_disabled", "the account is disabled")
	}
	return s.fill(ctx, h, gen, keep, u, exp)
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
