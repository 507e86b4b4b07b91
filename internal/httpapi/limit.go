package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/errs"
	xrate "golang.org/x/time/rate"
)

// Body caps per route: every body is capped before anything parses it,
// and a declared Content-Length above the cap is refused (413) without
// reading a byte. Routes that take more than an ordinary JSON body get
// their own cap, sized by what they accept.
const (
	// MaxLocateBody fits MaxLocatePoints [lon, lat] pairs in full precision.
	MaxLocateBody = 8 << 20
	// MaxPatrolBody fits one batch of patrol points (JSON or GPX).
	MaxPatrolBody = 8 << 20
	// MaxUploadBody is one photo and its multipart framing.
	MaxUploadBody = casework.MaxPhotoBytes + 64<<10
)

// bodyCap returns the largest body path takes.
func (s *Server) bodyCap(path string) int64 {
	switch {
	case strings.HasSuffix(path, "/import"):
		return s.MaxImport
	case path == "/api/v1/locate":
		return MaxLocateBody
	case path == "/api/v1/patrols/points", path == "/api/v1/patrols/gpx":
		return MaxPatrolBody
	case path == "/api/v1/uploads":
		return MaxUploadBody
	}
	return s.MaxBody
}

func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := s.bodyCap(r.URL.Path)
		if r.ContentLength > limit {
			// Refused before reading: the connection is closed rather than
			// drained.
			w.Header().Set("Connection", "close")
			s.writeError(w, r, errs.E(errs.TooLarge, "body_too_large", "the request body (%d bytes) exceeds %d bytes", r.ContentLength, limit))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// WriteLimits bound what one user may write: a token bucket of Rate
// requests per second with Burst, and at most Concurrent writes in flight.
// Uploads and imports count like any write. Zero fields do not limit.
type WriteLimits struct {
	Rate       float64
	Burst      int
	Concurrent int
}

// writeLimiter keeps one bucket and one in-flight count per user.
type writeLimiter struct {
	cfg   WriteLimits
	mu    sync.Mutex
	users map[int64]*userLimit
}

type userLimit struct {
	bucket   *xrate.Limiter
	inFlight int
	seen     time.Time
}

func newWriteLimiter(cfg WriteLimits) *writeLimiter {
	return &writeLimiter{cfg: cfg, users: map[int64]*userLimit{}}
}

// acquire admits one write of user id, or says how long to wait.
func (l *writeLimiter) acquire(id int64, now time.Time) (release func(), retry time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.users[id]
	if u == nil {
		if len(l.users) > 100_000 {
			l.sweep(now)
		}
		u = &userLimit{}
		if l.cfg.Rate > 0 {
			u.bucket = xrate.NewLimiter(xrate.Limit(l.cfg.Rate), max(l.cfg.Burst, 1))
		}
		l.users[id] = u
	}
	u.seen = now
	if l.cfg.Concurrent > 0 && u.inFlight >= l.cfg.Concurrent {
		return nil, time.Second, false
	}
	if u.bucket != nil {
		res := u.bucket.ReserveN(now, 1)
		if d := res.DelayFrom(now); d > 0 {
			res.CancelAt(now)
			return nil, d, false
		}
	}
	u.inFlight++
	return func() {
		l.mu.Lock()
		u.inFlight--
		l.mu.Unlock()
	}, 0, true
}

// sweep forgets idle users (their bucket is full again after a minute).
func (l *writeLimiter) sweep(now time.Time) {
	for id, u := range l.users {
		if u.inFlight == 0 && now.Sub(u.seen) > time.Minute {
			delete(l.users, id)
		}
	}
}

// limitWrites applies the per-user write limits to every request of an
// authenticated caller that writes (not isRead): 429 with Retry-After when
// over.
func (s *Server) limitWrites(next http.Handler) http.Handler {
	if s.writes == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isRead(r) {
			next.ServeHTTP(w, r)
			return
		}
		p := principal(r)
		if p == nil {
			next.ServeHTTP(w, r)
			return
		}
		release, retry, ok := s.writes.acquire(p.User.ID, time.Now())
		if !ok {
			secs := int(retry/time.Second) + 1
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			s.writeError(w, r, errs.E(errs.TooManyRequests, "write_rate_limited",
				"too many writes from %s; retry in %d s", p.User.Username, secs))
			return
		}
		defer release()
		next.ServeHTTP(w, r)
	})
}
