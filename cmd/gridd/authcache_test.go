package main

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/dbtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// warmAuth repeats a request with tok on ta until ta's auth cache holds the
// token's principal (the cache is used once its listener is connected).
func warmAuth(t *testing.T, ta *testApp, path, tok, key string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if res := ta.do("GET", path, tok, nil, nil); res.Status != 200 {
			t.Fatalf("warm %s: %d %s", path, res.Status, res.Body)
		}
		held := key
		if held == "" {
			held = tok
		}
		if ta.principals.Holds(held) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the auth cache never held the token of %s", path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// within polls check every 10 ms until it returns "" or a second passes
// since the change, and fails with its last complaint.
func within(t *testing.T, what string, since time.Time, check func() string) {
	t.Helper()
	for {
		msg := check()
		if msg == "" {
			t.Logf("%s: took effect after %s", what, time.Since(since).Round(time.Millisecond))
			return
		}
		if time.Since(since) > time.Second {
			t.Fatalf("%s: still %s after 1 s", what, msg)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func wantStatus(ta *testApp, path, tok string, want int) func() string {
	return func() string {
		if res := ta.do("GET", path, tok, nil, nil); res.Status != want {
			return fmt.Sprintf("%d, want %d", res.Status, want)
		}
		return ""
	}
}

// TestAuthRevocationAcrossInstances: tokens and keys used (and cached) on
// instance B stop working there, or carry the new rights, within a second
// of logout, a password change, disabling, a role change, the end of a
// worker's assignment or a key's revocation done through instance A or
// straight in the database.
func TestAuthRevocationAcrossInstances(t *testing.T) {
	dbURL := dbtest.URL(t, dbtest.NewDemo(t))
	a, _ := newTestAppURL(t, dbURL, nil)
	b, _ := newTestAppURL(t, dbURL, nil)
	ctx := context.Background()
	const me = "/api/v1/auth/me"

	t.Run("logout", func(t *testing.T) {
		tok := a.login("center")
		warmAuth(t, b, me, tok, "")
		if res := a.do("POST", "/api/v1/auth/logout", tok, nil, nil); res.Status != 204 {
			t.Fatalf("logout: %d", res.Status)
		}
		within(t, "logout on A", time.Now(), wantStatus(b, me, tok, 401))
	})
	t.Run("password", func(t *testing.T) {
		tok := b.login("admin")
		warmAuth(t, b, me, tok, "")
		u, err := a.people.FindUserByUsername(ctx, "admin")
		if err != nil {
			t.Fatal(err)
		}
		hash, err := auth.DefaultHasher.Hash("another password")
		if err != nil {
			t.Fatal(err)
		}
		since := time.Now()
		if err := a.people.SetPassword(ctx, u.ID, hash); err != nil { // gridd user passwd
			t.Fatal(err)
		}
		within(t, "password change on A", since, wantStatus(b, me, tok, 401))
	})
	t.Run("disable", func(t *testing.T) {
		tok := a.login("dept-zzb")
		warmAuth(t, b, me, tok, "")
		since := time.Now()
		if _, err := a.db.Pool.Exec(ctx, `UPDATE users SET disabled = true WHERE username = 'dept-zzb'`); err != nil {
			t.Fatal(err)
		}
		within(t, "disabling", since, wantStatus(b, me, tok, 401))
	})
	t.Run("role", func(t *testing.T) {
		tok := a.login("center")
		warmAuth(t, b, me, tok, "")
		since := time.Now()
		if _, err := a.db.Pool.Exec(ctx, `UPDATE users SET role = 'viewer' WHERE username = 'center'`); err != nil {
			t.Fatal(err)
		}
		within(t, "role change", since, func() string {
			var m struct{ Role string }
			res := b.do("GET", me, tok, nil, nil)
			if res.Status != 200 {
				return fmt.Sprintf("status %d", res.Status)
			}
			res.decode(t, &m)
			if m.Role != "viewer" {
				return "role " + m.Role
			}
			return ""
		})
	})
	t.Run("assignment", func(t *testing.T) {
		tok := a.login(ownGrid)
		warmAuth(t, b, me, tok, "")
		scope := func() []string {
			var m struct{ Scope []string }
			b.do("GET", me, tok, nil, nil).decode(t, &m)
			return m.Scope
		}
		if got := scope(); !slices.Equal(got, []string{ownGrid}) {
			t.Fatalf("worker's scope %v, want [%s]", got, ownGrid)
		}
		since := time.Now()
		if _, err := a.db.Pool.Exec(ctx, `DELETE FROM grid_assignments WHERE user_id = (SELECT id FROM users WHERE username = $1)`, ownGrid); err != nil {
			t.Fatal(err)
		}
		within(t, "end of the worker's assignment", since, func() string {
			if got := scope(); len(got) != 0 {
				return fmt.Sprintf("scope %v", got)
			}
			return ""
		})
	})
	t.Run("api key", func(t *testing.T) {
		tok := a.login(otherGrid)
		key := createKey(t, a, tok)
		path := "/ogc/collections?key=" + url.QueryEscape(key)
		warmAuth(t, b, path, "", key)
		var list struct {
			Keys []struct{ ID int64 } `json:"api_keys"`
		}
		a.do("GET", "/api/v1/auth/api-keys", tok, nil, nil).decode(t, &list)
		if len(list.Keys) != 1 {
			t.Fatalf("keys: %+v", list.Keys)
		}
		since := time.Now()
		if res := a.do("DELETE", fmt.Sprintf("/api/v1/auth/api-keys/%d", list.Keys[0].ID), tok, nil, nil); res.Status != 204 {
			t.Fatalf("revoke: %d %s", res.Status, res.Body)
		}
		within(t, "key revoked on A", since, wantStatus(b, path, "", 401))
	})
	t.Run("listener reconnect", func(t *testing.T) {
		// A listener cut off may have missed notifications: its instance
		// empties the cache and reads the database until it listens again.
		tok := a.login("dept-hwsuo")
		warmAuth(t, b, me, tok, "")
		if _, err := a.db.Pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
WHERE datname = current_database() AND query LIKE 'LISTEN "gridd_auth"%'`); err != nil {
			t.Fatal(err)
		}
		within(t, "cache emptied after the listener was cut", time.Now(), func() string {
			if n := b.principals.Len(); n != 0 {
				return fmt.Sprintf("%d principals held", n)
			}
			return ""
		})
		if res := b.do("GET", me, tok, nil, nil); res.Status != 200 {
			t.Fatalf("me while reconnecting: %d", res.Status)
		}
		warmAuth(t, b, me, tok, "") // listening again: cached again
		if res := a.do("POST", "/api/v1/auth/logout", tok, nil, nil); res.Status != 204 {
			t.Fatalf("logout: %d", res.Status)
		}
		within(t, "logout after the reconnect", time.Now(), wantStatus(b, me, tok, 401))
	})
}

// TestAuthExpiryFromCache: a cached token stops working when its session
// expires, without any change in the database.
func TestAuthExpiryFromCache(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	ta := newTestAppWith(t, true, func(c *Config) { c.Now = clock.Now; c.TokenTTL = time.Hour })
	tok := ta.login("center")
	warmAuth(t, ta, "/api/v1/auth/me", tok, "")
	clock.Add(61 * time.Minute)
	var pj problemJSON
	res := ta.do("GET", "/api/v1/auth/me", tok, nil, nil)
	res.decode(t, &pj)
	if res.Status != 401 || pj.Reason != "token_expired" {
		t.Errorf("after expiry: %d %s", res.Status, res.Body)
	}
}

// TestAuthWarmReadTouchesNoTable: once its token is cached, an
// authenticated read that needs no data (GET /api/v1/auth/me) runs no
// transaction: none taken from the pool and none counted by
// pg_stat_database; the same requests with the cache off run two each.
func TestAuthWarmReadTouchesNoTable(t *testing.T) {
	tdb := dbtest.NewDemo(t)
	dbURL := dbtest.URL(t, tdb)
	cachedApp, _ := newTestAppURL(t, dbURL, nil)
	uncached, _ := newTestAppURL(t, dbURL, func(c *Config) { c.AuthCache = -1 })
	const n = 100
	pools := []*pgxpool.Pool{tdb.Pool, cachedApp.db.Pool, uncached.db.Pool}
	run := func(ta *testApp, tok string) (acquires, commits int64) {
		before, own := xactCommits(t, dbURL, pools)
		acq := ta.db.Pool.Stat().AcquireCount()
		for range n {
			if res := ta.do("GET", "/api/v1/auth/me", tok, nil, nil); res.Status != 200 {
				t.Fatalf("me: %d", res.Status)
			}
		}
		acquires = ta.db.Pool.Stat().AcquireCount() - acq
		after, _ := xactCommits(t, dbURL, pools)
		return acquires, after - before - own
	}
	tok := cachedApp.login("center")
	warmAuth(t, cachedApp, "/api/v1/auth/me", tok, "")
	acq, commits := run(cachedApp, tok)
	t.Logf("%d warm requests with the cache: %d pool acquires, %d commits", n, acq, commits)
	// Up to 2 may be the listeners' LISTEN flushed late, or autovacuum.
	if acq != 0 || commits > 2 {
		t.Errorf("%d warm requests with the cache: %d connections taken from the pool, %d transactions committed; want none", n, acq, commits)
	}
	acq, commits = run(uncached, uncached.login("center"))
	t.Logf("%d requests without the cache: %d pool acquires, %d commits", n, acq, commits)
	if acq < 2*n || commits < 2*n {
		t.Errorf("%d requests without the cache: %d connections taken, %d transactions; want at least %d (the measure must see them)", n, acq, commits, 2*n)
	}
}

// xactCommits reads the database's committed transactions once every
// other backend has reported its own (flushedStats). own is the number of
// transactions the reader ran itself, counted in the next reading
// (flushed when it exits).
func xactCommits(t testing.TB, dbURL string, pools []*pgxpool.Pool) (n, own int64) {
	t.Helper()
	own = flushedStats(t, dbURL, pools, &n, `SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`)
	return n, own
}

// flushedStats reads the statistics of query into dest once every other
// backend has reported its counters: it closes the pools' connections (a
// backend flushes its counters when it exits) and waits until they, and
// earlier readers, are gone. It returns the number of transactions it
// ran itself.
func flushedStats(t testing.TB, dbURL string, pools []*pgxpool.Pool, dest any, query string, args ...any) (own int64) {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	// One statement, one transaction (no separate prepare) to count its own.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for {
		// Again each round: a connection opened meanwhile (a notification
		// sent after an answer) reports only when it is closed.
		for _, p := range pools {
			p.Reset()
		}
		var busy int
		var queries string
		own++
		// The auth listeners stay; they commit nothing after LISTEN.
		if err := conn.QueryRow(ctx, `SELECT count(*), coalesce(string_agg(query, ' | '), '') FROM pg_stat_activity
WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND query NOT LIKE 'LISTEN %'`).Scan(&busy, &queries); err != nil {
			t.Fatal(err)
		}
		if busy == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d backends still connected, last: %s", busy, queries)
		}
		time.Sleep(20 * time.Millisecond)
	}
	own += 2
	if _, err := conn.Exec(ctx, `SELECT pg_stat_clear_snapshot()`); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, query, args...).Scan(dest); err != nil {
		t.Fatal(err)
	}
	return own
}
