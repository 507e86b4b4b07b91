package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
)

// TestCLIMigrateImportAudit drives the subcommands in process: migrate twice
// (idempotent), import a file with a dry run first, audit the result.
func TestCLIMigrateImportAudit(t *testing.T) {
	url := dbtest.URL(t, dbtest.New(t))
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if err := run(ctx, []string{"migrate", "--database-url", url}); err != nil {
			t.Fatalf("migrate #%d: %v", i+1, err)
		}
	}
	file := filepath.Join(t.TempDir(), "grids.geojson")
	if err := os.WriteFile(file, []byte(rootAndVillage), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"import", "grids", file, "--database-url", url, "--dry-run"}); err != nil {
		t.Fatalf("dry run: %v", err)
	}
	a, err := openApp(ctx, Config{DatabaseURL: url}, newLogger(8))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	var n int
	if err := a.db.Pool.QueryRow(ctx, `SELECT count(*) FROM grid_versions`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d grids after a dry run (%v)", n, err)
	}
	if err := run(ctx, []string{"import", "grids", file, "--database-url", url}); err != nil {
		t.Fatalf("import: %v", err)
	}
	if err := a.db.Pool.QueryRow(ctx, `SELECT count(*) FROM grid_versions`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d grids after import (%v), want 2", n, err)
	}
	// The village covers the town exactly: clean.
	if err := run(ctx, []string{"audit", "topology", "--database-url", url}); err != nil {
		t.Errorf("audit of a clean registry: %v", err)
	}
	// A bad file fails with the feature named.
	bad := filepath.Join(t.TempDir(), "bad.geojson")
	if err := os.WriteFile(bad, collection(feature(`"name":"x","level":3,"parent_code":"370114001001000"`, `{"type":"Point","coordinates":[117.5,36.7]}`)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"import", "grids", bad, "--database-url", url}); err == nil {
		t.Error("import of a point succeeded")
	}
	if err := run(ctx, []string{"user", "add", "--database-url", url, "--username", "zhang", "--name", "张三", "--role", "center", "--password", "violet-harbour-tractor-57"}); err != nil {
		t.Errorf("user add: %v", err)
	}
	// The CLI applies the same password policy as the API.
	for _, pw := range []string{"12345678", "password", "demo1234", "longenough"} {
		err := run(ctx, []string{"user", "add", "--database-url", url, "--username", "wang", "--name", "王五", "--role", "worker", "--password", pw})
		if err == nil || !strings.Contains(err.Error(), "password") {
			t.Errorf("user add with password %q: %v", pw, err)
		}
	}
	if err := run(ctx, []string{"user", "passwd", "--database-url", url, "--username", "zhang", "--password", "zhang12345"}); err == nil {
		t.Error("user passwd with a weak password succeeded")
	}
	if err := run(ctx, []string{"user", "add", "--database-url", url, "--username", "li", "--name", "李四", "--role", "boss"}); err == nil {
		t.Error("user add with an unknown role succeeded")
	}
}

// TestServeRefusesAnOldSchema: serve on a database whose last migration is
// missing stops at once, telling the operator to migrate.
func TestServeRefusesAnOldSchema(t *testing.T) {
	url := dbtest.URL(t, dbtest.New(t))
	ctx := context.Background()
	a, err := openApp(ctx, Config{DatabaseURL: url}, newLogger(8))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	if err := a.db.CheckSchema(ctx); err != nil {
		t.Fatalf("a migrated database: %v", err)
	}
	if _, err := a.db.Pool.Exec(ctx, `DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)`); err != nil {
		t.Fatal(err)
	}
	err = run(ctx, []string{"serve", "--database-url", url, "--addr", "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "gridd migrate") {
		t.Fatalf("serve on an old schema: %v, want an error telling to run gridd migrate", err)
	}
}

// TestServeRefusesUnsafeDurability: the test cluster runs with fsync off;
// serve refuses it, naming the setting, unless told it is development.
func TestServeRefusesUnsafeDurability(t *testing.T) {
	url := dbtest.URL(t, dbtest.New(t))
	err := run(context.Background(), []string{"serve", "--database-url", url, "--addr", "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "fsync = off") || !strings.Contains(err.Error(), "--allow-unsafe-durability") {
		t.Fatalf("serve on a cluster with fsync off: %v, want a refusal naming fsync and the flag", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--database-url", url, "--addr", "127.0.0.1:0", "--allow-unsafe-durability", "--drain-delay", "0s"})
	}()
	select {
	case err := <-done:
		t.Fatalf("serve with --allow-unsafe-durability stopped: %v", err)
	case <-time.After(3 * time.Second):
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve with --allow-unsafe-durability: %v", err)
	}
}
