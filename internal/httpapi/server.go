// Package httpapi is gridd's HTTP API: routes, authentication, problem+json
// errors and JSON/GeoJSON encoding over the domain services.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/analytics"
	"github.com/gridd/gridd/internal/assessment"
	"github.com/gridd/gridd/internal/auditlog"
	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/field"
	"github.com/gridd/gridd/internal/inbox"
	"github.com/gridd/gridd/internal/layers"
	"github.com/gridd/gridd/internal/live"
	"github.com/gridd/gridd/internal/msg"
	"github.com/gridd/gridd/internal/patrol"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/planning"
	"github.com/gridd/gridd/internal/province"
	"github.com/gridd/gridd/internal/registers"
	"github.com/gridd/gridd/internal/registry"
	"github.com/gridd/gridd/internal/report"
	"github.com/gridd/gridd/internal/responsibility"
	"github.com/gridd/gridd/internal/tiles"
	"github.com/gridd/gridd/internal/visits"
	"github.com/gridd/gridd/internal/webhook"
	"github.com/gridd/gridd/internal/worklog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Deps are the services the API serves.
type Deps struct {
	Log       *slog.Logger
	Auth      *auth.Service
	Grids     *registry.Service
	GridStore registry.Store
	People    people.Store
	// Tree returns the current grid hierarchy (for access checks).
	Tree func() *registry.Tree
	// Locator answers point-in-grid questions.
	Locator Locator
	// Audits runs the topology audit.
	Audits TopologyAuditor
	// AuditLog records writes, logins and sensitive reads (nil: none).
	AuditLog AuditLogger
	// Registers are the base registers; KeyPersons the key-person files (nil: none).
	Registers  *registers.Service
	KeyPersons *registers.KeyPersons
	// Grants changes users' explicit permissions (a sensitive one needs a
	// second admin; nil: no permission routes).
	Grants *auth.Grants

	// Layers are the routing layers (zones, road sections; nil: none).
	Layers *layers.Service
	// Planning proposes and applies grid divisions (nil: none).
	Planning *planning.Service
	// Console serves the web console's page and assets (public; nil: none).
	Console http.Handler
	// Tiles serves the map layers as vector tiles (through its cache).
	Tiles *tiles.Service
	// Features lists layer features for OGC API Features and downloads.
	Features tiles.FeatureStore
	// Keys issues and checks API keys (?key= on /tiles and /ogc).
	Keys *auth.KeyService
	// Cases runs the case loop; Uploads keeps the photos.
	Cases   *casework.Service
	Uploads casework.UploadStore
	// Ready reports whether the database answers.
	Ready func(ctx context.Context) error
	// Draining, when done, tells that the instance is stopping: /readyz
	// answers 503 so that a load balancer sends no new request here, and
	// event streams end so that their clients reconnect (with
	// Last-Event-ID) through another instance. Nil: never.
	Draining context.Context
	// Unavailable reports whether an unclassified error means the database
	// is away (answered 503 with Retry-After instead of 500); nil: never.
	Unavailable func(error) bool
	Now         func() time.Time
	// Replica serves the tiles, OGC API Features, the case and register
	// lists, statistics and exports from a read replica (nil: everything
	// from the primary); see replica.go.
	Replica ReadRouter
	// ReplicaStats, when set, shows the replica's figures on /metrics.
	ReplicaStats func() ReplicaStats
	// MaxBody bounds ordinary request bodies; imports get MaxImport (other
	// routes' caps: limit.go).
	MaxBody   int64
	MaxImport int64
	// WriteLimits bound each user's writes (zero: unlimited).
	WriteLimits WriteLimits
	// TrustedProxies are the reverse proxies whose X-Forwarded-For gives
	// the client's address for throttling (none: the peer's; source.go).
	TrustedProxies []netip.Prefix
	// DecodeBudget bounds the photo pixels decoded at once (nil: unbounded).
	DecodeBudget *casework.DecodeBudget
	// Patrols takes GPS tracks and computes patrol coverage (nil: no routes).
	Patrols *patrol.Service
	// Assessments computes and serves the monthly assessment (nil: no routes).
	Assessments *assessment.Service
	// Messages is the catalogue of user-facing texts (nil: msg.Must()).
	Messages *msg.Catalogue
	// Inbox serves the to-do inbox (nil: no inbox routes).
	Inbox *inbox.Service
	// Field composes the field app's day and month (nil: no routes).
	Field *field.Service
	// Live streams events (GET /api/v1/events; nil: no route).
	Live *live.Hub
	// Webhooks manages outgoing webhooks (nil: no routes).
	Webhooks *webhook.Service
	// Hotspots analyses case hot spots and flags recurring cases (nil: no routes).
	Hotspots *analytics.Service
	// Results computes quarterly and yearly worker results (nil: no routes).
	Results *analytics.Results
	// Leaders computes the supervising leaders' yearly results (nil: no routes).
	Leaders *analytics.Leaders
	// Reports builds the meeting packs and the case ledger (nil: no routes).
	Reports *report.Service
	// Field duties (issue 18; nil: no routes): who answers for which
	// household or place and the public lookup (limited to PublicRate
	// lookups per second per client address, bursts of PublicBurst), visits,
	// the daily log.
	Responsibility *responsibility.Service
	PublicRate     float64
	PublicBurst    int
	Visits         *visits.Service
	Worklog        *worklog.Service
	// DutyDeps: inspections, the other grid forces, training and
	// meetings, leave (issue 18; duties.go).
	DutyDeps
	// Province, when set, makes this a province instance: only health,
	// login, the caller's account and the province routes, and every
	// other write refused with 405 (province.go).
	Province *province.Service
}

// Server is the HTTP API.
type Server struct {
	Deps
	log       *slog.Logger
	router    chi.Router
	metrics   *metrics
	writes    *writeLimiter // nil: writes are not limited
	uploads   *casework.Uploads
	directory *auth.Directory
	requests  atomic.Uint64 // counts requests for the log's sample
}

// New builds the server and its routes.
func New(d Deps) *Server {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Messages == nil {
		d.Messages = msg.Must()
	}
	if d.MaxBody == 0 {
		d.MaxBody = 1 << 20
	}
	if d.MaxImport == 0 {
		d.MaxImport = 256 << 20
	}
	s := &Server{Deps: d, log: d.Log, metrics: newMetrics()}
	if d.ReplicaStats != nil {
		s.metrics.registerReplicaMetrics(d.ReplicaStats)
	}
	s.directory = &auth.Directory{Store: d.People, Tree: func() auth.Tree { return s.tree() }}
	s.uploads = &casework.Uploads{Store: d.Uploads, Budget: d.DecodeBudget, Cases: d.Cases}
	if d.Visits != nil {
		s.uploads.VisitPhoto = d.Visits.CanReadPhoto
	}
	if l := d.WriteLimits; l.Rate > 0 || l.Concurrent > 0 {
		s.writes = newWriteLimiter(l)
	}
	s.router = s.routes()
	return s
}

// Handler returns the root handler.
func (s *Server) Handler() http.Handler { return s.router }

// Router exposes the route table (the access test walks it).
func (s *Server) Router() chi.Routes { return s.router }

func (s *Server) routes() chi.Router {
	if s.Province != nil {
		return s.provinceRoutes()
	}
	r := chi.NewRouter()
	r.Use(s.withRequestID, s.recoverer, s.observe, s.rejectNUL, s.auditWrites, s.tellCommitPosition)
	s.registerHealthRoutes(r)
	s.registerConsoleRoutes(r)
	r.Route("/api/v1", func(r chi.Router) {
		r.Use(s.limitBody, noStore)
		r.Post("/auth/login", s.h(s.login))
		s.registerPublicRoutes(r) // no token: deliberately public (responsibility.go)
		s.registerEnrolmentRoutes(r)
		r.Group(func(r chi.Router) {
			r.Use(s.authenticate, s.auditPrincipal, s.limitWrites)
			s.registerAuthRoutes(r)
			s.registerGridRoutes(r)
			s.registerPeopleRoutes(r)
			s.registerLocateRoutes(r)
			s.registerAuditRoutes(r)
			s.registerRegisterRoutes(r)
			s.registerKeyPersonRoutes(r)
			s.registerGrantRoutes(r)
			s.registerRoutingLayerRoutes(r)
			s.registerAuditLogRoutes(r)
			s.registerAPIKeyRoutes(r)
			s.registerLayerRoutes(r)
			s.registerCaseRoutes(r)
			s.registerRoutingRoutes(r)
			s.registerCalendarRoutes(r)
			s.registerUploadRoutes(r)
			s.registerPatrolRoutes(r)
			s.registerCheckpointRoutes(r)
			s.registerPatrolMeasureRoutes(r)
			s.registerAssessmentRoutes(r)
			s.registerInboxRoutes(r)
			s.registerFieldRoutes(r)
			s.registerEventRoutes(r)
			s.registerWebhookRoutes(r)
			s.registerHotspotRoutes(r)
			s.registerResultRoutes(r)
			s.registerReportRoutes(r)
			s.registerResponsibilityRoutes(r)
			s.registerVisitRoutes(r)
			s.registerWorklogRoutes(r)
			s.registerDutyRoutes(r)
		})
	})
	r.Group(func(r chi.Router) {
		r.Use(s.authenticateKeyOrBearer, s.replicaReads)
		s.registerTileRoutes(r)
		s.registerOGCRoutes(r)
	})
	r.Route("/open311/v2", s.registerOpen311Routes)
	s.registerFallbacks(r)
	return r
}

// registerHealthRoutes: GET /healthz, /readyz (public) and /metrics.
func (s *Server) registerHealthRoutes(r chi.Router) {
	r.Get("/healthz", s.h(s.healthz))
	r.Get("/readyz", s.h(s.readyz))
	r.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
}

// registerFallbacks answers unknown routes and methods with a problem.
func (s *Server) registerFallbacks(r chi.Router) {
	r.NotFound(s.h(func(w http.ResponseWriter, r *http.Request) error {
		return errs.NotFoundf("no route %s %s", r.Method, r.URL.Path)
	}))
	r.MethodNotAllowed(s.h(func(w http.ResponseWriter, r *http.Request) error {
		return errs.E(errs.Invalid, "method_not_allowed", "method %s is not allowed on %s", r.Method, r.URL.Path)
	}))
}

// handlerFunc is a handler that returns its failure.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// h adapts a handlerFunc: one place writes every failure.
//
// The request (method, route, path, request id) goes into the context for
// the audit entries services write (auditlog.Access).
func (s *Server) h(fn handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req := auditlog.Request{Method: r.Method, Path: r.URL.Path, RequestID: requestID(r.Context())}
		if rc := chi.RouteContext(r.Context()); rc != nil {
			req.Route = rc.RoutePattern()
		}
		r = r.WithContext(auditlog.WithRequest(r.Context(), req))
		if err := fn(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
}

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyPrincipal
)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(keyRequestID).(string)
	return id
}

func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyRequestID, id)))
	})
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "request_id", requestID(r.Context()), "path", r.URL.Path, "panic", v)
				s.writeError(w, r, errs.E(errs.Internal, "panic", "panic"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// noStore marks every API answer as not to be kept by browsers or proxies:
// most carry personal data (people, households, tracks, cases) or tokens.
// A handler may set its own Cache-Control after it (photos do).
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		next.ServeHTTP(w, r)
	})
}

// authenticate resolves the bearer token into a principal.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return s.h(func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.Auth.Authenticate(r.Context(), bearer(r))
		if err != nil {
			return err
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyPrincipal, p)))
		return nil
	})
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

func principal(r *http.Request) *auth.Principal {
	p, _ := r.Context().Value(keyPrincipal).(*auth.Principal)
	return p
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return s.ok(w, r, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if s.draining() {
		w.Header().Set("Retry-After", retryAfterUnavailable)
		s.writeJSON(w, r, http.StatusServiceUnavailable, "application/json", map[string]string{"status": "draining"})
		return nil
	}
	if s.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.Ready(ctx); err != nil {
			s.log.Warn("not ready", "err", err)
			w.Header().Set("Retry-After", retryAfterUnavailable)
			s.writeJSON(w, r, http.StatusServiceUnavailable, "application/json", map[string]string{"status": "unavailable"})
			return nil
		}
	}
	return s.ok(w, r, map[string]string{"status": "ready"})
}

// draining tells whether the instance has begun to stop.
func (s *Server) draining() bool { return s.Draining != nil && s.Draining.Err() != nil }

type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gridd_http_requests_total", Help: "HTTP requests by route, method and status."}, []string{"route", "method", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gridd_http_request_seconds", Help: "HTTP request latency by route.", Buckets: prometheus.DefBuckets}, []string{"route"})
	m.reg.MustRegister(m.requests, m.duration, prometheus.NewGoCollector())
	return m
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (sr *statusRecorder) WriteHeader(code int) {
	sr.status = code
	sr.ResponseWriter.WriteHeader(code)
}

func (sr *statusRecorder) Unwrap() http.ResponseWriter { return sr.ResponseWriter }

// observe logs each request and records metrics under its route pattern.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sr := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sr, r)
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			route = rc.RoutePattern()
		}
		d := time.Since(start)
		s.metrics.requests.WithLabelValues(route, r.Method, strconv.Itoa(sr.status)).Inc()
		s.metrics.duration.WithLabelValues(route).Observe(d.Seconds())
		switch {
		case sr.status >= 500 || d >= slowRequest:
			s.log.Warn("request", "request_id", requestID(r.Context()), "method", r.Method, "route", route, "status", sr.status, "ms", d.Milliseconds())
		case s.requestSampled():
			s.log.Debug("request", "request_id", requestID(r.Context()), "method", r.Method, "route", route, "status", sr.status, "ms", d.Milliseconds(),
				"sampled", requestLogSample)
		}
	})
}

// slowRequest is how long a request may take before it is logged as slow.
const slowRequest = time.Second

// requestLogSample: one request in this many is logged at debug level
// (with "sampled" saying so); server errors and slow requests always are,
// at warn. Every request is counted in the metrics.
const requestLogSample = 100

// requestSampled reports whether this request's line is logged: the
// logger is at debug and the request is the sample's one.
func (s *Server) requestSampled() bool {
	if !s.log.Enabled(context.Background(), slog.LevelDebug) {
		return false
	}
	return s.requests.Add(1)%requestLogSample == 1
}
