package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/msg"
)

// statusOf is the one table from domain error kinds to HTTP status.
var statusOf = map[errs.Kind]int{
	errs.Internal:             http.StatusInternalServerError,
	errs.Invalid:              http.StatusBadRequest,
	errs.Unprocessable:        http.StatusUnprocessableEntity,
	errs.NotFound:             http.StatusNotFound,
	errs.Conflict:             http.StatusConflict,
	errs.PreconditionFailed:   http.StatusPreconditionFailed,
	errs.Unauthorized:         http.StatusUnauthorized,
	errs.Forbidden:            http.StatusForbidden,
	errs.TooManyRequests:      http.StatusTooManyRequests,
	errs.TooLarge:             http.StatusRequestEntityTooLarge,
	errs.Unavailable:          http.StatusServiceUnavailable,
	errs.UnsupportedMediaType: http.StatusUnsupportedMediaType,
	errs.MethodNotAllowed:     http.StatusMethodNotAllowed,
}

// retryAfterUnavailable is the Retry-After (seconds) of a 503: a restarting
// PostgreSQL is usually back within seconds.
const retryAfterUnavailable = "5"

// statusClientClosed is recorded for requests whose client went away
// before the answer (nginx's 499); the client never sees it.
const statusClientClosed = 499

// titles are the problem titles per kind (internal/msg).
var titles = map[errs.Kind]msg.Key{
	errs.Internal:             msg.ProblemInternal,
	errs.Invalid:              msg.ProblemInvalid,
	errs.Unprocessable:        msg.ProblemUnprocessable,
	errs.NotFound:             msg.ProblemNotFound,
	errs.Conflict:             msg.ProblemConflict,
	errs.PreconditionFailed:   msg.ProblemPreconditionFailed,
	errs.Unauthorized:         msg.ProblemUnauthorized,
	errs.Forbidden:            msg.ProblemForbidden,
	errs.TooManyRequests:      msg.ProblemTooManyRequests,
	errs.TooLarge:             msg.ProblemTooLarge,
	errs.Unavailable:          msg.ProblemUnavailable,
	errs.UnsupportedMediaType: msg.ProblemUnsupportedMedia,
	errs.MethodNotAllowed:     msg.ProblemMethodNotAllowed,
}

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Instance  string       `json:"instance,omitempty"`
	Reason    string       `json:"reason,omitempty"`
	RequestID string       `json:"request_id"`
	Errors    []errs.Field `json:"errors,omitempty"`
	Allowed   []string     `json:"allowed,omitempty"`
}

// lang picks zh (default) or en from ?lang= or Accept-Language.
func lang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l != "" {
		if strings.HasPrefix(l, "en") {
			return "en"
		}
		return "zh"
	}
	al := strings.ToLower(r.Header.Get("Accept-Language"))
	if strings.HasPrefix(al, "en") {
		return "en"
	}
	return "zh"
}

// writeError writes err as problem+json. Unknown errors are logged in full
// and reach the client only as "internal error" with the request id.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		// The client went away (a cancelled tile on a map pan): nobody reads
		// an answer, and it is not a server failure.
		s.log.Debug("request cancelled", "request_id", requestID(r.Context()), "method", r.Method, "path", r.URL.Path)
		w.WriteHeader(statusClientClosed)
		return
	}
	kind := errs.KindOf(err)
	if kind == errs.Internal && s.Unavailable != nil && s.Unavailable(err) {
		// The database is away (stopped, restarting, unreachable): not a
		// failure of this request, and worth retrying shortly.
		s.log.Warn("database unavailable", "request_id", requestID(r.Context()), "method", r.Method, "path", r.URL.Path, "err", err)
		err = errs.E(errs.Unavailable, "database_unavailable", "the database is unavailable; retry in a few seconds")
		kind = errs.Unavailable
	}
	status := statusOf[kind]
	title := s.Messages.Sprintf(msg.Lang(lang(r)), titles[kind])
	p := Problem{
		Type:      "about:blank",
		Title:     title,
		Status:    status,
		Instance:  r.URL.Path,
		RequestID: requestID(r.Context()),
	}
	if e, ok := errs.As(err); ok && kind != errs.Internal {
		l := msg.Lang(lang(r))
		p.Reason = e.Reason
		p.Detail = s.detail(l, e.Reason, e.Msg)
		p.Allowed = e.Allowed
		if len(e.Fields) > 0 {
			p.Errors = make([]errs.Field, len(e.Fields))
			for i, f := range e.Fields {
				f.Detail = s.detail(l, f.Reason, f.Detail)
				p.Errors[i] = f
			}
		}
		if p.Reason != "" {
			p.Type = "https://gridd.dev/problems/" + p.Reason
		}
	} else {
		s.log.Error("request failed", "request_id", p.RequestID, "method", r.Method, "path", r.URL.Path, "err", err)
		p.Detail = s.Messages.Sprintf(msg.Lang(lang(r)), msg.ProblemInternalDetail, p.RequestID)
	}
	if status == http.StatusTooManyRequests {
		if e, ok := errs.As(err); ok && e.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.FormatInt(int64((e.RetryAfter+time.Second-1)/time.Second), 10))
		} else if w.Header().Get("Retry-After") == "" {
			w.Header().Set("Retry-After", "900")
		}
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", retryAfterUnavailable)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gridd"`)
	}
	s.writeJSON(w, r, status, "application/problem+json", p)
}

// detail renders a problem's (or a field's) English detail in l from the
// catalogue: the detail's own Chinese form with its arguments in place, or,
// where the text quotes something the catalogue cannot know (a parser's
// error), the reason's text.
func (s *Server) detail(l msg.Lang, reason, english string) string {
	if l == msg.EN {
		return english
	}
	if zh := s.Messages.Detail(l, english); zh != english {
		return zh
	}
	if reason != "" && s.Messages.Has(msg.ProblemDetail(reason)) {
		return s.Messages.Sprintf(l, msg.ProblemDetail(reason))
	}
	return english
}

var _ = slog.LevelInfo
