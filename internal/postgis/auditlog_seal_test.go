package postgis_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/auditlog"
	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/postgis"
)

// TestAuditSealConcurrentWriters: 16 writers commit changes with their
// audit entries concurrently (no chain lock), while two sealers (two
// instances on one database) seal; one transaction holds its unsealed
// entry open while later ones commit and are sealed, then commits. Every
// entry ends up sealed exactly once, the keyed chain verifies with
// contiguous seals, the late entry is linked after the ones sealed before
// it, and a row inserted without the key is never sealed and is reported.
func TestAuditSealConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	key := bytes.Repeat([]byte{3}, 32)
	db.AuditKey = key
	if _, err := db.Pool.Exec(ctx, `CREATE TABLE audit_seal_test (id bigserial PRIMARY KEY, note text)`); err != nil {
		t.Fatal(err)
	}
	a, b := postgis.NewAuditLogStore(db), postgis.NewAuditLogStore(db)
	a.Key, b.Key = key, key
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)

	// The long transaction: its entry is in, its commit waits.
	// Writers start only once its entry has taken its id (a check of
	// pg_stat_activity alone could pass between its two statements).
	inserted, hold := make(chan struct{}), make(chan struct{})
	lateErr := make(chan error, 1)
	go func() {
		lateErr <- postgis.ChangeWithAuditForTest(ctx, db, &auditlog.Entry{At: now, Action: auditlog.ActionWrite, Actor: "late"}, inserted, hold)
	}()
	select {
	case <-inserted:
	case err := <-lateErr:
		t.Fatalf("late transaction ended before its hold: %v", err)
	}

	stop := make(chan struct{})
	var sealers sync.WaitGroup
	for _, st := range []*postgis.AuditLogStore{a, b} {
		sealers.Add(1)
		go func() {
			defer sealers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := st.Seal(ctx); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	const writers, each = 16, 25
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				e := &auditlog.Entry{At: now, Action: auditlog.ActionWrite, Actor: fmt.Sprintf("w%d-%d", w, i), Route: "/test"}
				if err := postgis.ChangeWithAuditForTest(ctx, db, e, nil, nil); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	// Everything but the late entry gets sealed while it is open.
	waitFor(t, func() bool {
		var n int
		_ = db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE seal IS NOT NULL`).Scan(&n)
		return n == writers*each
	})
	close(hold)
	if err := <-lateErr; err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		var n int
		_ = db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE seal IS NULL`).Scan(&n)
		return n == 0
	})
	close(stop)
	sealers.Wait()

	var lateID, lateSeal, maxSeal, minLaterID int64
	if err := db.Pool.QueryRow(ctx, `SELECT id, seal, (SELECT max(seal) FROM audit_log), (SELECT min(id) FROM audit_log WHERE actor <> 'late')
FROM audit_log WHERE actor = 'late'`).Scan(&lateID, &lateSeal, &maxSeal, &minLaterID); err != nil {
		t.Fatal(err)
	}
	if lateID > minLaterID || lateSeal != maxSeal || maxSeal != writers*each+1 {
		t.Errorf("late entry: id %d (others from %d), seal %d of %d; want the smallest id sealed last of %d", lateID, minLaterID, lateSeal, maxSeal, writers*each+1)
	}
	var changes, entries int
	_ = db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM audit_seal_test), (SELECT count(*) FROM audit_log)`).Scan(&changes, &entries)
	if changes != entries {
		t.Errorf("%d changes, %d audit entries", changes, entries)
	}
	rep, err := auditlog.VerifyWith(ctx, a, auditlog.VerifyOptions{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Entries != writers*each+1 || rep.Unsealed != 0 {
		t.Fatalf("chain: %+v", rep)
	}
	if rep, _ := auditlog.VerifyWith(ctx, a, auditlog.VerifyOptions{Key: bytes.Repeat([]byte{4}, 32)}); rep.OK {
		t.Error("chain verified with another key")
	}

	// A row inserted by someone without the key: never sealed, reported.
	forged := postgis.NewAuditLogStore(db)
	forged.Key = bytes.Repeat([]byte{9}, 32)
	if err := forged.Append(ctx, &auditlog.Entry{At: now, Action: auditlog.ActionLogin, Actor: "mallory"}); err != nil {
		t.Fatal(err)
	}
	if n, err := a.Seal(ctx); err != nil || n != 0 {
		t.Errorf("seal of a forged row: %d sealed, %v", n, err)
	}
	rep, _ = auditlog.VerifyWith(ctx, a, auditlog.VerifyOptions{Key: key})
	if rep.OK || rep.Unsealed != 1 || len(rep.Breaks) != 1 || rep.Breaks[0].Reason != "unsealed_forged" {
		t.Errorf("forged unsealed row: %+v", rep)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 20 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
