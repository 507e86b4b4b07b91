package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/auditlog"
	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
)

// AuditLogger records audit entries.
type AuditLogger interface {
	Record(ctx context.Context, e *auditlog.Entry) error
}

type auditCtxKey struct{}

// auditNote collects what the audit entry of a write should say; the
// handler chain fills it in. The entry travels as the request's pending
// entry (auditlog.Pending): the store writes it in the transaction of the
// change; auditWrites stores it after the answer only when no change
// carried it (a refused or failed write).
type auditNote struct {
	p       *auth.Principal
	object  string
	grid    string
	pending *auditlog.Pending
}

// auditWrites records every non-GET request: actor, route, request id and
// object (the route parameters, or what the handler named with
// noteAuditObject or the store with auditlog.NoteObject). The entry of a
// request that changed something is written in the change's transaction
// (with status 0: the answer is not known yet); any other is recorded
// after the answer with its status. A login is recorded as login or
// login_failed with the username attempted. A failure to record after the
// answer is logged; the request has already been answered.
func (s *Server) auditWrites(next http.Handler) http.Handler {
	if s.AuditLog == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isRead(r) {
			next.ServeHTTP(w, r)
			return
		}
		note := &auditNote{}
		isLogin := r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/auth/login")
		attempted := ""
		if isLogin {
			attempted = peekUsername(r)
		}
		rctx := r.Context()
		fill := func(e *auditlog.Entry) {
			if rc := chi.RouteContext(rctx); rc != nil {
				e.Route = rc.RoutePattern()
				if e.Object == "" {
					e.Object = note.object
				}
				if e.Object == "" {
					e.Object = routeObject(rc)
				}
			}
			if e.GridCode == "" {
				e.GridCode = note.grid
			}
			if note.p != nil {
				e.ActorID, e.Actor, e.Role = note.p.User.ID, note.p.User.Username, string(note.p.User.Role)
			}
		}
		e := &auditlog.Entry{Action: auditlog.ActionWrite, Method: r.Method, Path: r.URL.Path, RequestID: requestID(rctx)}
		if !isLogin { // a login's entry says login or login_failed: after the answer
			note.pending = auditlog.NewPending(e, func(e *auditlog.Entry) {
				fill(e)
				e.At = s.Now().UTC().Truncate(time.Microsecond)
			})
		}
		sr := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sr, r.WithContext(context.WithValue(rctx, auditCtxKey{}, note)))
		if note.pending != nil && note.pending.Written() {
			return
		}
		if note.object != "" {
			e.Object = note.object
		}
		fill(e)
		e.Status, e.At = sr.status, time.Time{}
		if isLogin {
			e.Actor = attempted
			e.Action = auditlog.ActionLoginFailed
			if sr.status == http.StatusOK {
				e.Action = auditlog.ActionLogin
			}
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(rctx), 10*time.Second)
		defer cancel()
		if err := s.AuditLog.Record(ctx, e); err != nil {
			s.log.Error("audit log write failed", "request_id", e.RequestID, "route", e.Route, "err", err)
		}
	})
}

// auditPrincipal, inside the authenticated group, hands the principal to
// auditWrites and, now that the actor is known, the pending entry to the
// stores (authentication itself is never what the entry records).
func (s *Server) auditPrincipal(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, withAuditActor(r, principal(r)))
	})
}

// withAuditActor names p as the actor of r's write and puts r's pending
// audit entry in its context.
func withAuditActor(r *http.Request, p *auth.Principal) *http.Request {
	note, ok := r.Context().Value(auditCtxKey{}).(*auditNote)
	if !ok {
		return r
	}
	note.p = p
	if note.pending == nil {
		return r
	}
	return r.WithContext(auditlog.WithPending(r.Context(), note.pending))
}

// readPOSTs are the routes that read though they are POSTs (a batch
// lookup, an explanation): they change nothing, are not written to the
// audit log and do not count against the write limits. Reads of personal
// data record their own entries (auditRead).
var readPOSTs = map[string]bool{
	"/api/v1/locate":          true,
	"/api/v1/routing/explain": true,
}

// isRead reports whether r only reads: a GET, HEAD or OPTIONS, or one of
// readPOSTs.
func isRead(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	case http.MethodPost:
		return readPOSTs[r.URL.Path]
	}
	return false
}

// noteAuditObject names the object a write touched (e.g. the id of a
// created record) and its grid, for the audit entry. An entry already
// written with its change keeps what the store named
// (auditlog.NoteObject).
func noteAuditObject(r *http.Request, object, grid string) {
	auditlog.NoteObject(r.Context(), object, grid)
	if note, ok := r.Context().Value(auditCtxKey{}).(*auditNote); ok {
		note.object = object
		if grid != "" {
			note.grid = grid
		}
	}
}

func routeObject(rc *chi.Context) string {
	var parts []string
	for i, k := range rc.URLParams.Keys {
		if k == "*" || i >= len(rc.URLParams.Values) {
			continue
		}
		parts = append(parts, k+"="+rc.URLParams.Values[i])
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// peekUsername reads the login body (up to 64 KiB: a login body is small)
// to learn the attempted username and puts what it read back for the
// handler. The password is never kept.
func peekUsername(r *http.Request) string {
	orig := r.Body
	b, err := io.ReadAll(io.LimitReader(orig, 64<<10))
	rest := io.Reader(orig)
	if err != nil {
		rest = errReader{err}
	}
	r.Body = readCloser{io.MultiReader(bytes.NewReader(b), rest), orig}
	if err != nil {
		return ""
	}
	var v struct {
		Username string `json:"username"`
	}
	_ = json.Unmarshal(b, &v)
	if len(v.Username) > 64 {
		return v.Username[:64]
	}
	return v.Username
}

type errReader struct{ err error }

type readCloser struct {
	io.Reader
	io.Closer
}

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// auditRead records a sensitive read (action read or unmask) before the
// data is sent. It fails closed: when the entry cannot be stored the
// caller must not answer with the data.
func (s *Server) auditRead(r *http.Request, action, object, grid, reason string) error {
	if s.AuditLog == nil {
		return errs.E(errs.Internal, "audit_unavailable", "the audit log is not configured")
	}
	p := principal(r)
	e := &auditlog.Entry{Action: action, Method: r.Method, Path: r.URL.Path, RequestID: requestID(r.Context()),
		Object: object, GridCode: grid, Reason: reason, Status: http.StatusOK}
	if rc := chi.RouteContext(r.Context()); rc != nil {
		e.Route = rc.RoutePattern()
	}
	if p != nil {
		e.ActorID, e.Actor, e.Role = p.User.ID, p.User.Username, string(p.User.Role)
	}
	return s.AuditLog.Record(r.Context(), e)
}

// registerAuditLogRoutes:
//
//	GET /api/v1/audit-log?actor=&action=&object=&limit=   newest entries first (admin)
func (s *Server) registerAuditLogRoutes(r chi.Router) {
	if s.AuditLog == nil {
		return
	}
	r.Get("/audit-log", s.h(s.listAuditLog))
}

func (s *Server) listAuditLog(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := queryInt(r, "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	rd, _ := s.AuditLog.(auditlog.EntryFinder)
	es, err := (&auditlog.Reader{Store: rd, Audit: s.AuditLog}).Entries(r.Context(), principal(r),
		auditlog.Filter{Actor: q.Get("actor"), Action: q.Get("action"), Object: q.Get("object"), Limit: limit})
	if err != nil {
		return err
	}
	return s.ok(w, r, map[string]any{"entries": es, "retention_days_min": auditlog.RetentionDays})
}
