package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ReadRouter sends the reads of some routes to a read replica (a streaming
// standby) and gives writers their commit position, so that a client reads
// its own writes there (read-your-writes).
type ReadRouter interface {
	// Route returns ctx marked to read from the replica, when it is in use
	// and has replayed position after ("" none; waiting a bounded time),
	// and true; else ctx unchanged (reads go to the primary) and false. A
	// position that does not parse reads the primary.
	Route(ctx context.Context, after string) (context.Context, bool)
	// Failed takes the replica out of use after a read on it failed.
	Failed(err error)
	// CommitPosition is the primary's position at or past every commit
	// made so far.
	CommitPosition(ctx context.Context) (string, error)
}

// ReplicaStats are the read replica's figures shown on /metrics.
type ReplicaStats struct {
	InUse                   bool
	Lag                     time.Duration
	Routed, FellBack, Retry int64
}

// registerReplicaMetrics shows stats on /metrics: whether the replica is
// in use, its replay lag, and where the replica routes' reads went.
func (m *metrics) registerReplicaMetrics(stats func() ReplicaStats) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gridd_read_replica_in_use", Help: "1 while reads go to the read replica."}, func() float64 {
			if stats().InUse {
				return 1
			}
			return 0
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gridd_read_replica_lag_seconds", Help: "The read replica's replay lag at the last health check."}, func() float64 {
			return stats().Lag.Seconds()
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gridd_read_replica_reads_total", Help: "Reads of the replica routes served by the replica.", ConstLabels: prometheus.Labels{"target": "replica"}}, func() float64 {
			return float64(stats().Routed)
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gridd_read_replica_reads_total", Help: "Reads of the replica routes served by the replica.", ConstLabels: prometheus.Labels{"target": "primary"}}, func() float64 {
			return float64(stats().FellBack)
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gridd_read_replica_retries_total", Help: "Reads that failed on the replica and were served again by the primary."}, func() float64 {
			return float64(stats().Retry)
		}),
	)
}

// The commit position travels in a response header and a cookie of the
// same value; a read carrying either (the header wins) is served by the
// replica only once it has replayed that far.
const (
	lsnHeader = "Gridd-LSN"
	lsnCookie = "gridd_lsn"
	// lsnCookieAge outlives any lag a replica in use may have.
	lsnCookieAge = 60
	// replicaBuffer is how much of a replica-served answer is held back so
	// that a failure on the replica can be retried on the primary.
	replicaBuffer = 4 << 20
)

// fromReplica serves a read route from the replica when the ReadRouter
// allows (see Deps.Replica). The answer is held back (up to replicaBuffer)
// and, when the replica failed it (5xx, or 409 for a query the standby
// cancelled in a recovery conflict), the request is served again from the
// primary: a stopped or broken replica costs a retry, not a failed request.
func (s *Server) fromReplica(next http.HandlerFunc) http.HandlerFunc {
	if s.Replica == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			next(w, r)
			return
		}
		after := r.Header.Get(lsnHeader)
		if after == "" {
			if c, err := r.Cookie(lsnCookie); err == nil {
				after = c.Value
			}
		}
		ctx, ok := s.Replica.Route(r.Context(), after)
		if !ok {
			next(w, r)
			return
		}
		bw := &heldWriter{w: w, header: http.Header{}}
		for k, v := range w.Header() {
			bw.header[k] = append([]string(nil), v...)
		}
		next(bw, r.WithContext(ctx))
		if !bw.passed && (bw.code >= 500 || bw.code == http.StatusConflict) {
			s.Replica.Failed(&replicaFailure{code: bw.code})
			s.log.Warn("read failed on the replica, served from the primary", "request_id", requestID(r.Context()), "path", r.URL.Path, "status", bw.code)
			next(w, r)
			return
		}
		bw.pass()
	}
}

// replicaReads is fromReplica as a middleware (the tile and OGC routes).
func (s *Server) replicaReads(next http.Handler) http.Handler { return s.fromReplica(next.ServeHTTP) }

type replicaFailure struct{ code int }

func (f *replicaFailure) Error() string { return "answered " + http.StatusText(f.code) }

// heldWriter holds an answer back until pass (or until it outgrows
// replicaBuffer or is flushed: then it passes through and cannot be
// retried).
type heldWriter struct {
	w      http.ResponseWriter
	header http.Header
	code   int
	buf    bytes.Buffer
	passed bool
}

func (h *heldWriter) Header() http.Header {
	if h.passed {
		return h.w.Header()
	}
	return h.header
}

func (h *heldWriter) WriteHeader(code int) {
	if h.passed {
		h.w.WriteHeader(code)
		return
	}
	if h.code == 0 {
		h.code = code
	}
}

func (h *heldWriter) Write(p []byte) (int, error) {
	if h.code == 0 {
		h.code = http.StatusOK
	}
	if h.passed {
		return h.w.Write(p)
	}
	if h.buf.Len()+len(p) > replicaBuffer {
		h.pass()
		return h.w.Write(p)
	}
	return h.buf.Write(p)
}

// Flush passes the answer through and flushes it.
func (h *heldWriter) Flush() {
	h.pass()
	http.NewResponseController(h.w).Flush()
}

func (h *heldWriter) Unwrap() http.ResponseWriter { return h.w }

// pass writes what was held and lets the rest through.
func (h *heldWriter) pass() {
	if h.passed {
		return
	}
	h.passed = true
	dst := h.w.Header()
	for k := range dst {
		delete(dst, k)
	}
	for k, v := range h.header {
		dst[k] = v
	}
	if h.code == 0 {
		return
	}
	h.w.WriteHeader(h.code)
	_, _ = h.w.Write(h.buf.Bytes())
	h.buf.Reset()
}

// tellCommitPosition gives the client of a successful write (any method
// but GET, HEAD and OPTIONS) the primary's commit position after it, in
// the Gridd-LSN header and the gridd_lsn cookie, when a ReadRouter is set.
func (s *Server) tellCommitPosition(next http.Handler) http.Handler {
	if s.Replica == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(&positionWriter{ResponseWriter: w, s: s, r: r}, r)
	})
}

// positionWriter adds the commit position to a write's answer before its
// header goes out: by then the handler has committed.
type positionWriter struct {
	http.ResponseWriter
	s    *Server
	r    *http.Request
	done bool
}

func (p *positionWriter) WriteHeader(code int) {
	if !p.done {
		p.done = true
		if code < 400 {
			p.addPosition()
		}
	}
	p.ResponseWriter.WriteHeader(code)
}

func (p *positionWriter) Write(b []byte) (int, error) {
	if !p.done {
		p.WriteHeader(http.StatusOK)
	}
	return p.ResponseWriter.Write(b)
}

func (p *positionWriter) Unwrap() http.ResponseWriter { return p.ResponseWriter }

func (p *positionWriter) addPosition() {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(p.r.Context()), time.Second)
	defer cancel()
	pos, err := p.s.Replica.CommitPosition(ctx)
	if err != nil {
		// Without it the client's next reads may miss its write on the
		// replica for up to its lag; the write itself stands.
		p.s.log.Warn("commit position", "request_id", requestID(p.r.Context()), "err", err)
		return
	}
	p.Header().Set(lsnHeader, pos)
	http.SetCookie(p.ResponseWriter, &http.Cookie{Name: lsnCookie, Value: pos, Path: "/", MaxAge: lsnCookieAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: p.r.TLS != nil})
}
