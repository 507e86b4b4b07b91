package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/events"
)

// registerEventRoutes:
//
//	GET /api/v1/events  the caller's events as Server-Sent Events (resume
//	                    with Last-Event-ID or ?last_event_id=); with
//	                    ?poll=true one JSON page of them instead
func (s *Server) registerEventRoutes(r chi.Router) {
	if s.Live == nil {
		return
	}
	r.Get("/events", s.h(s.events))
}

// eventView is an event as a reader receives it (without the internal
// scope lists).
type eventView struct {
	ID       int64          `json:"id"`
	Kind     events.Kind    `json:"kind"`
	Object   string         `json:"object"`
	ObjectID string         `json:"object_id"`
	GridCode string         `json:"grid_code,omitempty"`
	Data     map[string]any `json:"data"`
	At       time.Time      `json:"at"`
}

func viewEvent(e events.Event) eventView {
	return eventView{ID: e.ID, Kind: e.Kind, Object: e.Object, ObjectID: e.ObjectID, GridCode: e.GridCode, Data: e.Data, At: e.At}
}

func lastEventID(r *http.Request) (*int64, error) {
	v := strings.TrimSpace(r.Header.Get("Last-Event-ID"))
	field := "Last-Event-ID"
	if q := r.URL.Query().Get("last_event_id"); q != "" {
		v, field = q, "last_event_id"
	}
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return nil, errs.Invalidf(field, "invalid_event_id", "want the id of an event (a non-negative integer), got %q", v)
	}
	return &n, nil
}

func (s *Server) events(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	last, err := lastEventID(r)
	if err != nil {
		return err
	}
	poll, err := queryBool(r, "poll")
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 200, 1, 1000)
	if err != nil {
		return err
	}
	from, err := s.Live.From(r.Context(), last)
	if err != nil {
		return err
	}
	if poll {
		evs, err := s.Live.Page(r.Context(), p, from, limit)
		if err != nil {
			return err
		}
		out := struct {
			Events []eventView `json:"events"`
		}{Events: []eventView{}}
		for _, e := range evs {
			out.Events = append(out.Events, viewEvent(e))
		}
		return s.ok(w, r, out)
	}
	// A stream outlives the server's write timeout (which would cut it
	// after WriteTimeout) and its read timeout.
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write([]byte("retry: 3000\n: connected\n\n")); err != nil {
		return nil
	}
	if err := rc.Flush(); err != nil {
		return nil
	}
	sink := &sseSink{w: w, rc: rc}
	ctx := r.Context()
	if s.Draining != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(s.Draining, cancel)()
	}
	if err := s.Live.Stream(ctx, p, from, sink); err != nil && ctx.Err() == nil {
		s.log.Warn("event stream ended", "request_id", requestID(r.Context()), "err", err)
	}
	return nil
}

// sseSink writes events in the text/event-stream format.
type sseSink struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	buf bytes.Buffer
}

func (k *sseSink) Send(e events.Event) error {
	k.buf.Reset()
	k.buf.WriteString("id: ")
	k.buf.WriteString(strconv.FormatInt(e.ID, 10))
	k.buf.WriteString("\ndata: ")
	enc := json.NewEncoder(&k.buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(viewEvent(e)); err != nil { // ends with one newline
		return err
	}
	k.buf.WriteString("\n")
	if _, err := k.w.Write(k.buf.Bytes()); err != nil {
		return err
	}
	return k.rc.Flush()
}

func (k *sseSink) Heartbeat() error {
	if _, err := k.w.Write([]byte(": heartbeat\n\n")); err != nil {
		return err
	}
	return k.rc.Flush()
}
