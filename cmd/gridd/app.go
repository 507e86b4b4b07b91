package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/gridd/gridd/internal/analytics"
	"github.com/gridd/gridd/internal/assessment"
	"github.com/gridd/gridd/internal/audit"
	"github.com/gridd/gridd/internal/auditlog"
	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/devdb"
	"github.com/gridd/gridd/internal/field"
	"github.com/gridd/gridd/internal/httpapi"
	"github.com/gridd/gridd/internal/inbox"
	"github.com/gridd/gridd/internal/jobs"
	"github.com/gridd/gridd/internal/layers"
	"github.com/gridd/gridd/internal/locate"
	"github.com/gridd/gridd/internal/patrol"
	"github.com/gridd/gridd/internal/planning"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/gridd/gridd/internal/registers"
	"github.com/gridd/gridd/internal/registry"
	"github.com/gridd/gridd/internal/report"
	"github.com/gridd/gridd/internal/tiles"
	"github.com/gridd/gridd/internal/workday"
	"github.com/gridd/gridd/web"
)

// app is the wired service: stores, domain services and the HTTP API.
type app struct {
	log        *slog.Logger
	db         *postgis.DB
	grids      *postgis.GridStore
	people     *postgis.PeopleStore
	sessions   *postgis.SessionStore
	locator    *locate.Service
	registry   *registry.Service
	auth       *auth.Service
	topology   *audit.Topology
	auditLog   *auditlog.Log
	auditStore *postgis.AuditLogStore
	// checkpointCfg holds the audit checkpoints' settings (key, directory,
	// interval) for the periodic job.
	checkpointCfg Config
	dataKey       []byte
	// keyPersonStore seals key persons' identity at rest.
	keyPersonStore *postgis.KeyPersonStore
	// registers: base registers and key-person files.
	registers  *registers.Service
	keyPersons *registers.KeyPersons
	// routing layers: zones and road sections with their units.
	layers *layers.Service
	// planning: grid division proposals.
	planning *planning.Service
	// maps: vector tiles, OGC API Features, API keys.
	tileStore *postgis.TileStore
	tiles     *tiles.Service
	// layerStores serves every map layer's tiles and features.
	layerStores *tiles.Stores
	keys        *auth.KeyService
	// cases: the case loop and its store.
	caseStore *postgis.CaseStore
	cases     *casework.Service
	// patrols: GPS tracks and coverage.
	patrols *patrol.Service
	// patrolStore: the patrol tables (partitions, archive);
	// patrolSettleEvery: the patrol_settle job's period.
	patrolStore       *postgis.PatrolStore
	patrolSettleEvery time.Duration
	// assessments: the monthly assessment (月考核).
	assessments *assessment.Service
	// jobs is the background job client (River), set by startJobs.
	jobs *jobs.Client
	// inbox: to-do inboxes; clock: the stage clocks' scheduled work.
	inbox      *inbox.Service
	clock      *inbox.Clock
	clockEvery time.Duration
	// field: the field app's day and month (/m/).
	field *field.Service
	// live: the event stream and outgoing webhooks (live.go).
	liveParts
	// the principals of recently used tokens (authcache.go).
	authCacheParts
	// hotspots: case hot spots and the recurring-case cache.
	hotspots *analytics.Service
	results  *analytics.Results
	leaders  *analytics.Leaders
	reports  *report.Service
	// field duties: responsibility, visits, the daily log (duties.go).
	dutyParts
	// field duties: inspections, grid forces, training, leave (forces.go).
	forceParts
	// the province instance's database and service (province.go).
	provinceParts
	// the read replica (replica.go).
	replicaParts
}

// databaseURL returns the configured URL or that of the private cluster.
func databaseURL(c Config) (string, error) {
	if c.DatabaseURL != "" {
		return c.DatabaseURL, nil
	}
	cl, err := devdb.Open(c.DevDir)
	if err != nil {
		return "", err
	}
	if cl.Port == 0 {
		return "", fmt.Errorf("no DATABASE_URL and no private cluster in %s: run 'make run' or 'gridd db start'", c.DevDir)
	}
	return cl.URL("gridd"), nil
}

// groupWriters is how many transactions of a group commit write at once
// (--patrol-group, --case-group): n (0: 2; negative: none, each write its
// own), on at most half the database pool, so that the other requests
// keep connections while writes pour in.
func groupWriters(n int, db *postgis.DB) int {
	if n == 0 {
		n = 2
	}
	return min(n, max(1, int(db.Pool.Config().MaxConns)/2))
}

func openApp(ctx context.Context, c Config, log *slog.Logger) (*app, error) {
	url, err := databaseURL(c)
	if err != nil {
		return nil, err
	}
	db, err := postgis.Open(ctx, postgis.Config{URL: url, StatementTimeout: c.StatementTimeout})
	if err != nil {
		return nil, err
	}
	now := c.Now
	if now == nil {
		now = time.Now
	}
	db.Now = now
	a := &app{log: log, db: db}
	a.grids = postgis.NewGridStore(db)
	a.people = postgis.NewPeopleStore(db)
	a.sessions = postgis.NewSessionStore(db)
	a.locator = locate.New(a.grids)
	a.registry = &registry.Service{Store: a.grids, Now: now, OnChange: func(ctx context.Context) {
		if err := a.locator.Refresh(ctx); err != nil {
			log.Error("refresh grid index", "err", err)
		}
		if a.patrols != nil {
			a.patrols.GridsChanged()
		}
	}}
	a.registry.Cards = registry.CardSources{People: a.people, Tree: func() auth.Hierarchy { return a.locator.Tree() }}
	dummy, _ := auth.DefaultHasher.Hash("not a password")
	a.startAuthCache(newAuthCache(c))
	a.startLayerRevisions()
	// From here a failure closes what was started, listeners included.
	opened := false
	defer func() {
		if !opened {
			a.close()
		}
	}()
	a.auth = auth.NewService(auth.Config{Now: now, TokenTTL: c.TokenTTL, Location: workday.Shanghai(), DummyHash: dummy, Cache: a.principals,
		SecondFactorRoles: c.SecondFactorRoles}, a.sessions, a.people)
	a.topology = &audit.Topology{Store: postgis.NewTopologyStore(db)}
	a.tileStore = postgis.NewTileStore(db)
	a.tileStore.Geometries = a.locator.Geometry // the grids snapshot shares the index's geometry
	a.patrolStore = postgis.NewPatrolStore(db, workday.Shanghai())
	a.patrolStore.CopyMin = c.PatrolCopyMin
	a.patrolStore.Group = groupWriters(c.PatrolGroup, db)
	a.patrolSettleEvery = c.PatrolSettleEvery
	a.patrols = &patrol.Service{Store: a.patrolStore, Grids: a.grids, People: a.people,
		Tree:  func() auth.Hierarchy { return a.locator.Tree() },
		Rules: patrol.DefaultRules(), Now: now, Loc: workday.Shanghai()}
	// Map layers: SQL layers from the tile store, Go-computed ones (patrol
	// coverage cells, kept as bit sets) from their services.
	a.hotspots = &analytics.Service{Store: postgis.NewAnalyticsStore(db), Tree: func() analytics.Hierarchy { return a.locator.Tree() },
		Now: now, Loc: workday.Shanghai()}
	a.layerStores = &tiles.Stores{SQL: a.tileStore, Go: map[string]tiles.FindFunc{"coverage": a.patrols.CoverageFeatures,
		"hotspots": a.hotspots.LayerFeatures},
		Snapshots: map[string]*tiles.Snapshot{"grids": {Layer: "grids", Load: a.tileStore.GridSnapshot,
			Attrs: a.tileStore.GridAttributes, Shapes: "grids", Patch: a.tileStore.GridPatcher()}}}
	layers, err := tiles.NewRegistry(a.layerStores.HasLayer, append(tiles.Builtin(), casework.TileLayer(), patrol.CoverageLayer(), analytics.Layer())...)
	if err != nil {
		return nil, err
	}
	a.tiles = &tiles.Service{Registry: layers, Store: a.layerStores, Cache: tiles.NewCache(0), Now: now, Location: workday.Shanghai()}
	a.keys = &auth.KeyService{Service: a.auth, Keys: postgis.NewAPIKeyStore(db), TTL: c.APIKeyTTL, MaxTTL: c.APIKeyMaxTTL}
	a.caseStore = postgis.NewCaseStore(db)
	a.caseStore.Group = groupWriters(c.CaseGroup, db)
	a.cases = casework.NewService(a.caseStore, a.people, a.locator, func() casework.Hierarchy { return a.locator.Tree() }, now, casework.Config{})
	inboxes := postgis.NewInboxStore(db)
	a.inbox = &inbox.Service{Store: inboxes, Now: now}
	a.clock = &inbox.Clock{Store: inboxes, Cases: a.cases}
	a.clockEvery = c.ClockEvery
	akey, err := auditKey(c)
	if err != nil {
		return nil, err
	}
	a.auditStore = postgis.NewAuditLogStore(db)
	a.checkpointCfg = c
	a.auditStore.Key = akey
	db.AuditKey = akey // the entries written with their change
	a.auditLog = &auditlog.Log{Store: a.auditStore, Now: now}
	a.assessments = newAssessments(a, now)
	a.field = &field.Service{Patrols: a.patrols, Cases: a.cases, Assessments: a.assessments,
		Tree: func() casework.Hierarchy { return a.locator.Tree() }, Now: now, Loc: workday.Shanghai()}
	a.layers = newRoutingLayers(db)
	a.planning = &planning.Service{Store: postgis.NewDivisionStore(db), Grids: a.grids, Registry: a.registry, Now: now}
	a.reports = &report.Service{Cases: a.cases, Hotspots: a.hotspots, Grids: a.grids, Coverage: a.patrols.CoverageFeatures,
		Now: now, Loc: workday.Shanghai()}
	a.results = &analytics.Results{Runs: a.assessments, Tree: func() analytics.Hierarchy { return a.locator.Tree() }, Now: now, Loc: workday.Shanghai()}
	a.leaders = &analytics.Leaders{Store: postgis.NewLeaderStore(db), Results: a.results, Stats: a.cases.Stats}
	a.openForces()
	if err := a.openRegisters(c); err != nil {
		return nil, err
	}
	if err := a.openLive(c); err != nil {
		return nil, err
	}
	a.openDuties()
	if err := a.openProvince(ctx, c); err != nil {
		return nil, err
	}
	if err := a.openReplica(c); err != nil {
		return nil, err
	}
	opened = true
	return a, nil
}

func (a *app) close() {
	a.closeReplica()
	a.closeLive()
	a.closeAuthCache()
	a.closeLayerRevisions()
	a.closeProvince()
	a.db.Close()
}

func (a *app) server(c Config) *httpapi.Server {
	now := a.db.Now
	return httpapi.New(httpapi.Deps{
		Log:            a.log,
		Auth:           a.auth,
		Grids:          a.registry,
		GridStore:      a.grids,
		People:         a.people,
		Tree:           a.locator.Tree,
		Locator:        a.locator,
		Audits:         a.topology,
		Tiles:          a.tiles,
		Features:       a.layerStores,
		Keys:           a.keys,
		Cases:          a.cases,
		Uploads:        a.caseStore,
		AuditLog:       a.auditLog,
		Patrols:        a.patrols,
		Assessments:    a.assessments,
		Inbox:          a.inbox,
		Field:          a.field,
		Hotspots:       a.hotspots,
		Results:        a.results,
		Leaders:        a.leaders,
		Reports:        a.reports,
		DutyDeps:       a.forceDeps(),
		Console:        a.console(c),
		Ready:          func(ctx context.Context) error { return a.db.Pool.Ping(ctx) },
		Unavailable:    postgis.Unavailable,
		Replica:        a.readRouter(),
		ReplicaStats:   a.replicaStats(),
		MaxBody:        c.MaxBody,
		TrustedProxies: c.TrustedProxies,
		WriteLimits:    httpapi.WriteLimits{Rate: c.WriteRate, Burst: c.WriteBurst, Concurrent: c.WriteConcurrency},
		DecodeBudget:   decodeBudget(c.DecodePixels),
		Now:            now,

		// Base registers and key-person files.
		Registers:  a.registers,
		KeyPersons: a.keyPersons,
		Grants: &auth.Grants{Store: postgis.NewGrantStore(a.db), Known: []string{registers.PermUnmask},
			Sensitive: []string{registers.PermUnmask}, Now: now},

		Live:     a.live,
		Webhooks: a.webhooks,
		Layers:   a.layers,
		Planning: a.planning,

		Responsibility: a.responsibility,
		PublicRate:     c.PublicRate,
		PublicBurst:    c.PublicBurst,
		Visits:         a.visits,
		Worklog:        a.worklog,

		Province: a.province,
	})
}

// console returns the web console's handler, or nil (no console) when its
// files cannot be read.
func (a *app) console(c Config) http.Handler {
	h, err := web.Handler(web.Options{BasemapURL: c.BasemapURL, BasemapAttribution: c.BasemapAttribution, Dir: c.WebDir})
	if err != nil {
		a.log.Error("web console disabled", "err", err)
		return nil
	}
	return h
}

// serve runs the HTTP server until ctx ends, then shuts down gracefully.
func (a *app) serve(ctx context.Context, c Config) error {
	if err := a.db.CheckSchema(ctx); err != nil {
		return err
	}
	if a.provinceDB != nil {
		if err := a.provinceDB.CheckProvinceSchema(ctx); err != nil {
			return fmt.Errorf("province database: %w", err)
		}
	}
	if err := a.checkDataKey(ctx); err != nil {
		return err
	}
	if err := a.db.CheckDurability(ctx); err != nil {
		if !c.AllowUnsafeDurability {
			return fmt.Errorf("%w: turn them on, or start gridd with --allow-unsafe-durability for development only", err)
		}
		a.log.Warn("UNSAFE: serving on a database without crash durability (--allow-unsafe-durability)", "err", err)
	}
	if err := a.locator.Refresh(ctx); err != nil {
		return err
	}
	gridsChanged := make(chan struct{}, 1)
	// The grid index hears of grid edits made through any instance.
	wakeGrids := func() {
		select {
		case gridsChanged <- struct{}{}:
		default: // a refresh is already due
		}
	}
	stopGridsListener := a.keepListening(ctx, "listen for layer changes", func(ctx context.Context) error {
		return a.db.Listen(ctx, "gridd_layers", wakeGrids, func(layer string) {
			if layer == "grids" {
				wakeGrids()
			}
		})
	})
	defer stopGridsListener()
	poll := c.GridsPoll
	if poll <= 0 {
		poll = 5 * time.Second
	}
	go a.locator.Watch(ctx, poll, gridsChanged, func(ctx context.Context) (int64, error) { return a.db.LayerRevision(ctx, "grids") },
		func(err error) { a.log.Warn("watch grids", "err", err) })
	go a.hotspots.RunRefresh(ctx, time.Hour, func(err error) { a.log.Warn("refresh recurring hot spots", "err", err) })
	go a.auditStore.RunSealer(ctx, 100*time.Millisecond, 5*time.Second, func(err error) { a.log.Error("audit seal", "err", err) })
	go a.checkpointOnStop(ctx, c)
	go a.cases.RunPurge(ctx, time.Hour, func(err error) { a.log.Warn("purge idempotency keys", "err", err) })
	stopJobs, err := a.startJobs(ctx, c)
	if err != nil {
		return err
	}
	defer stopJobs()
	drain, startDrain := context.WithCancel(context.Background())
	defer startDrain()
	hs := a.server(c)
	hs.Draining = drain
	srv := &http.Server{
		Addr:              c.Addr,
		Handler:           hs.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	// The grids snapshot is loaded before the first request, not by it.
	if err := a.tiles.Warm(ctx); err != nil {
		a.log.Warn("load the tile snapshots (the first tile will)", "err", err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	a.log.Info("serving", "addr", c.Addr, "grids", a.locator.Len())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Drain: /readyz fails first, so that a load balancer stops sending
	// requests here; then the server stops taking connections and lets the
	// requests in flight finish.
	a.log.Info("draining", "delay", c.DrainDelay)
	startDrain()
	time.Sleep(c.DrainDelay)
	a.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func newLogger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// decodeBudget is the shared photo-decoding budget (nil when pixels ≤ 0).
func decodeBudget(pixels int64) *casework.DecodeBudget {
	if pixels <= 0 {
		return nil
	}
	return casework.NewDecodeBudget(pixels)
}
