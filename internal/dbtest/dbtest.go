// Package dbtest gives tests their own PostgreSQL + PostGIS database, cloned
// from a migrated template (optionally with the demo town loaded). It is
// imported only by tests.
//
// The cluster comes from GRIDD_TEST_DB (an admin URL, set by `make test`);
// without it the package starts a throw-away private cluster itself when
// PostGIS is installed. A missing database fails the test: it never skips.
package dbtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/demo"
	"github.com/gridd/gridd/internal/devdb"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/jackc/pgx/v5"
)

// FastHasher is a cheap argon2id for tests.
var FastHasher = auth.Hasher{Time: 1, Memory: 1024, Threads: 1}

// DemoPassword is the demo logins' password in tests.
const DemoPassword = "demo1234"

// DemoSeed is the seed of the demo town in tests.
const DemoSeed = 1

var (
	mu        sync.Mutex
	adminURL  string
	setupErr  error
	setupDone bool
	templates = map[string]string{} // by admin URL and demo flag
	counter   atomic.Int64
)

func admin() (string, error) {
	if setupDone {
		return adminURL, setupErr
	}
	setupDone = true
	if u := os.Getenv("GRIDD_TEST_DB"); u != "" {
		adminURL = u
		return adminURL, nil
	}
	dir, err := os.MkdirTemp("", "gridd-dbtest-")
	if err == nil {
		err = os.Chmod(dir, 0o755) // the postgres user must reach the data directory
	}
	if err != nil {
		setupErr = err
		return "", err
	}
	cl, err := devdb.Start(context.Background(), devdb.Options{Dir: filepath.Join(dir, "pg")})
	if err != nil {
		setupErr = fmt.Errorf("no GRIDD_TEST_DB and cannot start a private cluster: %w", err)
		return "", setupErr
	}
	if err := cl.StopWhenGone(os.Getpid(), dir); err != nil {
		setupErr = err
		return "", err
	}
	adminURL = cl.URL("postgres")
	return adminURL, nil
}

func withDB(url, name string) string {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name)
}

// template returns the name of the migrated template database of the
// cluster at base, creating it once.
func template(ctx context.Context, base string, withDemo bool) (string, error) {
	tkey := fmt.Sprintf("%s|%t", base, withDemo)
	if name, ok := templates[tkey]; ok {
		return name, nil
	}
	name := fmt.Sprintf("gridd_tmpl_%d_%t", os.Getpid(), withDemo)
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	db, err := postgis.Open(ctx, postgis.Config{URL: withDB(base, name)})
	if err != nil {
		return "", err
	}
	err = db.Migrate(ctx)
	if err == nil && withDemo {
		town := demo.Generate(DemoSeed)
		err = demo.Load(ctx, town, demo.Stores{Grids: postgis.NewGridStore(db), People: postgis.NewPeopleStore(db), Layers: postgis.NewLayerStore(db)},
			demo.LoadOptions{Password: DemoPassword, Hasher: FastHasher})
	}
	db.Close()
	if err != nil {
		return "", fmt.Errorf("prepare template: %w", err)
	}
	templates[tkey] = name
	return name, nil
}

// New returns a fresh migrated database for t, dropped when t ends.
func New(t testing.TB) *postgis.DB { return create(t, false) }

// NewDemo returns a fresh database holding the demo town (seed DemoSeed,
// password DemoPassword).
func NewDemo(t testing.TB) *postgis.DB { return create(t, true) }

// URL returns the connection URL of db's database (for subprocess tests).
func URL(t testing.TB, db *postgis.DB) string {
	t.Helper()
	return db.Pool.Config().ConnString()
}

func create(t testing.TB, withDemo bool) *postgis.DB {
	t.Helper()
	mu.Lock()
	base, err := admin()
	mu.Unlock()
	if err != nil {
		t.Fatalf("test database (PostGIS is required; `make test` provides it): %v", err)
	}
	db, _ := createOn(t, base, withDemo)
	return db
}

// createOn creates a database from the template of the cluster at base
// and returns it with its name.
func createOn(t testing.TB, base string, withDemo bool) (*postgis.DB, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	mu.Lock()
	tmpl, err := template(ctx, base, withDemo)
	var name string
	if err == nil {
		name = fmt.Sprintf("gridd_t_%d_%d", os.Getpid(), counter.Add(1))
		err = exec(ctx, base, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tmpl))
	}
	mu.Unlock()
	if err != nil {
		t.Fatalf("test database (PostGIS is required; `make test` provides it): %v", err)
	}
	db, err := postgis.Open(ctx, postgis.Config{URL: withDB(base, name), MaxConns: 20})
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() {
		db.Close()
		_ = exec(context.Background(), base, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return db, name
}

func exec(ctx context.Context, base, sql string) error {
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}
