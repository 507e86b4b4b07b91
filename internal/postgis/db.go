// Package postgis is gridd's store: the domain packages' Store interfaces
// implemented in SQL on PostgreSQL + PostGIS through pgx. Static SQL lives
// in the function that runs it, always with bound parameters.
package postgis

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/gridd/gridd/internal/auditlog"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/migrations"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// Config configures the connection pool.
type Config struct {
	URL              string
	MaxConns         int32
	StatementTimeout time.Duration // bounds what cancellation cannot; 0 = 30 s
}

// DB is the connection pool plus the clock every store uses.
type DB struct {
	Pool *pgxpool.Pool
	Now  func() time.Time

	// AuditKey keys the audit chain's links (HMAC; nil: plain hashes):
	// the entries written with their change (tx) and those of the
	// AuditLogStore on this DB.
	AuditKey []byte

	revs        revisionCache    // layer revisions while listening (ListenLayers)
	standbyRevs standbyRevisions // layer revisions as the read replica has them
	auditIDs    idBlock          // audit entry IDs drawn ahead
	caseIDs     idBlock          // case IDs drawn ahead (intake)
	notes       notifier         // notifications sent after commit (notifyAfterCommit)
	// auditWritten wakes this instance's audit sealer (RunSealer) after
	// a commit with audit entries.
	auditWritten chan struct{}
}

// Open connects and registers the PostGIS geometry type: geometry values
// travel as EWKB bytes, decoded by go-geom's ewkb package.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	pc, err := poolConfig(cfg)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return &DB{Pool: pool, Now: time.Now, auditWritten: make(chan struct{}, 1),
		auditIDs: idBlock{table: "audit_log", what: "audit log ids"}, caseIDs: idBlock{table: "cases", what: "case ids"}}, nil
}

// poolConfig is the pool configuration of cfg: statement timeout, no JIT,
// UTC, and the geometry type registered on every connection.
func poolConfig(cfg Config) (*pgxpool.Config, error) {
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	st := cfg.StatementTimeout
	if st == 0 {
		st = 30 * time.Second
	}
	pc.ConnConfig.RuntimeParams["statement_timeout"] = fmt.Sprint(st.Milliseconds())
	pc.ConnConfig.RuntimeParams["jit"] = "off"
	pc.ConnConfig.RuntimeParams["timezone"] = "UTC"
	pc.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		return registerGeometry(ctx, conn)
	}
	return pc, nil
}

func registerGeometry(ctx context.Context, conn *pgx.Conn) error {
	var oid uint32
	err := conn.QueryRow(ctx, `SELECT 'geometry'::regtype::oid`).Scan(&oid)
	if err != nil {
		// Before the first migration postgis may be missing; the
		// migration creates it and new connections register the type.
		return nil
	}
	conn.TypeMap().RegisterType(&pgtype.Type{Name: "geometry", OID: oid, Codec: pgtype.ByteaCodec{}})
	return nil
}

// Close closes the pool.
func (db *DB) Close() { db.Pool.Close() }

// Migrate applies every pending migration. It is idempotent.
func (db *DB) Migrate(ctx context.Context) error {
	if err := db.gooseUp(ctx, migrations.FS); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	// River's tables (the job queue of internal/jobs), at the version this
	// gridd's River needs.
	rm, err := rivermigrate.New(riverpgxv5.New(db.Pool), nil)
	if err != nil {
		return fmt.Errorf("migrate jobs: %w", err)
	}
	if _, err := rm.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate jobs: %w", err)
	}
	// Connections opened before postgis existed lack the geometry codec.
	db.Pool.Reset()
	return nil
}

// gooseUp applies the pending goose migrations of fsys.
func (db *DB) gooseUp(ctx context.Context, fsys fs.FS) error {
	return db.withGoose(fsys, func(p *goose.Provider) error {
		_, err := p.Up(ctx)
		return err
	})
}

// withGoose runs fn with a goose provider of fsys on this pool.
func (db *DB) withGoose(fsys fs.FS, fn func(*goose.Provider) error) error {
	sqlDB := stdlib.OpenDBFromPool(db.Pool)
	defer sqlDB.Close()
	goose.SetLogger(goose.NopLogger())
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, fsys)
	if err != nil {
		return err
	}
	return fn(p)
}

// CheckSchema fails, naming the pending migrations, unless every embedded
// migration has been applied: a gridd serving a database an older gridd
// migrated would fail on its first query of a new table instead.
func (db *DB) CheckSchema(ctx context.Context) error {
	return db.checkSchema(ctx, migrations.FS, "gridd migrate")
}

// checkSchema fails, naming how to migrate, unless every migration of
// fsys has been applied.
func (db *DB) checkSchema(ctx context.Context, fsys fs.FS, migrate string) error {
	return db.withGoose(fsys, func(p *goose.Provider) error {
		cur, err := p.GetDBVersion(ctx)
		if err != nil {
			return fmt.Errorf("schema version: %w", err)
		}
		sources := p.ListSources()
		if len(sources) == 0 {
			return nil
		}
		if want := sources[len(sources)-1].Version; cur < want {
			return fmt.Errorf("the database schema is at migration %d, this gridd needs %d: run '%s' first", cur, want, migrate)
		}
		return nil
	})
}

// tx runs fn in a transaction, committing when fn returns nil. When ctx
// carries a write request's pending audit entry (auditlog.Pending) not yet
// written, the entry is appended in the same transaction if fn changed
// anything: the change commits with its audit entry or not at all.
//
// The layers the transaction changed (bumpLayer, notifyLayer) are noted in
// this instance's revision cache once it commits, so that the instance
// reads its own writes before the notification comes back.
func (db *DB) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	var lt *layerTx
	p := auditlog.PendingFrom(ctx)
	var e *auditlog.Entry
	written := false
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		lt = &layerTx{Tx: tx}
		if err := fn(lt); err != nil {
			return err
		}
		if p == nil {
			return nil
		}
		if e = p.Take(); e == nil {
			return nil
		}
		var err error
		written, err = db.appendAudit(ctx, tx, db.AuditKey, true, []*auditlog.Entry{e})
		return err
	})
	if e != nil {
		p.Done(err == nil && written)
	}
	if err == nil && lt != nil {
		db.revs.changed(lt.layers)
		db.notes.send(db, lt.notes)
	}
	if err == nil && written {
		db.noteAudit()
		// A request's change may bump layers by trigger (assignments,
		// registers): reread them rather than wait for the notification.
		db.revs.stale()
	}
	return err
}

// exec runs one statement: in a transaction with the request's pending
// audit entry (db.tx) when ctx carries one, else straight on the pool.
func (db *DB) exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if auditlog.PendingFrom(ctx) == nil {
		return db.Pool.Exec(ctx, sql, args...)
	}
	var tag pgconn.CommandTag
	err := db.tx(ctx, func(tx pgx.Tx) error {
		var err error
		tag, err = tx.Exec(ctx, sql, args...)
		return err
	})
	return tag, err
}

// layerTx is a transaction of db.tx: it collects the layers changed in it.
type layerTx struct {
	pgx.Tx
	layers []string
	notes  []note // sent once committed (notifyAfterCommit)
}

// changedLayer notes that tx changes layer (for this instance's revision
// cache, once committed).
func changedLayer(tx pgx.Tx, layer string) {
	if lt, ok := tx.(*layerTx); ok {
		lt.layers = append(lt.layers, layer)
	}
}

// translate maps driver errors to domain errors at the store boundary.
//
// PostGIS's "invalid parameter" (22023) and internal errors (XX000, e.g. a
// GEOS TopologyException) are server failures here: a failing audit over
// stored grids is not the client's fault. Where the client's own geometry
// reaches PostGIS, use translateWrite.
func translate(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return errs.NotFoundf("%s not found", what)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return &errs.Error{Kind: errs.Conflict, Reason: "duplicate", Msg: what + " already exists", Err: err}
		case "23503":
			return &errs.Error{Kind: errs.Invalid, Reason: "reference_missing", Msg: what + " refers to something that does not exist", Err: err}
		case "23514":
			return &errs.Error{Kind: errs.Invalid, Reason: "constraint_violated", Msg: what + " violates a constraint (" + pe.ConstraintName + ")", Err: err}
		case "40001", "40P01":
			return &errs.Error{Kind: errs.Conflict, Reason: "concurrent_update", Msg: what + " was changed concurrently; retry", Err: err}
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// translateWrite is translate for statements that carry the client's
// geometry: there 22023 and XX000 come from the input (a shape GEOS cannot
// work with) and are 422, naming the geometry.
func translateWrite(err error, what string) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "22023" || pe.Code == "XX000") {
		return (&errs.Error{Kind: errs.Unprocessable, Reason: "geometry_rejected",
			Msg: what + ": PostGIS cannot work with this geometry", Err: err}).
			WithFields(errs.Field{Field: "geometry", Reason: "geometry_rejected", Detail: "repair the geometry (no self-intersections, closed rings) and send it again"})
	}
	return translate(err, what)
}

// bumpLayer records a committed change of layer inside tx.
func bumpLayer(ctx context.Context, tx pgx.Tx, layer string) error {
	changedLayer(tx, layer)
	_, err := tx.Exec(ctx, `UPDATE layer_revisions SET revision = revision + 1, changed_at = now() WHERE layer = $1`, layer)
	return err
}

// LayerRevision returns the current revision of a layer.
func (db *DB) LayerRevision(ctx context.Context, layer string) (int64, error) {
	var rev int64
	err := db.Pool.QueryRow(ctx, `SELECT revision FROM layer_revisions WHERE layer = $1`, layer).Scan(&rev)
	return rev, translate(err, "layer "+layer)
}
