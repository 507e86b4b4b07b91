package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/devdb"
	"github.com/gridd/gridd/internal/people"
)

// TestDatabaseOutage stops PostgreSQL under a running gridd: login, an
// authenticated read and a write answer 503 with Retry-After (never 500),
// /readyz fails, and once PostgreSQL is back the same requests succeed
// without restarting gridd.
func TestDatabaseOutage(t *testing.T) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "gridd-outage-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cl, err := devdb.Start(ctx, devdb.Options{Dir: dir, Database: "gridd"})
	if err != nil {
		t.Fatalf("start a private cluster: %v", err)
	}
	t.Cleanup(func() { _ = cl.Stop(); _ = os.RemoveAll(dir) })
	c := Config{DatabaseURL: cl.URL("gridd"), StatementTimeout: 30 * time.Second, TokenTTL: time.Hour, MaxBody: 1 << 20}
	a, err := openApp(ctx, c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	hash, err := dbtest.FastHasher.Hash(dbtest.DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.people.CreateUser(ctx, &people.User{Username: "admin", Name: "管理员", Role: people.RoleAdmin, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.server(c).Handler())
	t.Cleanup(func() { srv.Close(); a.close() })
	ta := &testApp{app: a, srv: srv, t: t}
	token := ta.login("admin")
	requests := func() map[string]response {
		return map[string]response{
			"login":  ta.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": dbtest.DemoPassword}, nil),
			"read":   ta.do("GET", "/api/v1/departments", token, nil, nil),
			"write":  ta.do("POST", "/api/v1/departments", token, map[string]any{"code": "d9", "name": "测试单位"}, nil),
			"readyz": ta.do("GET", "/readyz", "", nil, nil),
		}
	}
	if err := cl.Stop(); err != nil {
		t.Fatal(err)
	}
	for name, res := range requests() {
		if res.Status != 503 || res.Header.Get("Retry-After") == "" {
			t.Errorf("%s with PostgreSQL down: %d (Retry-After %q) %s; want 503 with Retry-After", name, res.Status, res.Header.Get("Retry-After"), res.Body)
		}
	}
	if _, err := devdb.Start(ctx, devdb.Options{Dir: dir, Database: "gridd"}); err != nil {
		t.Fatalf("restart the cluster: %v", err)
	}
	for name, res := range requests() {
		if res.Status >= 300 {
			t.Errorf("%s after PostgreSQL returned: %d %s", name, res.Status, res.Body)
		}
	}
}
