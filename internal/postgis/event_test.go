package postgis_test

import (
	"context"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/events"
	"github.com/gridd/gridd/internal/postgis"
)

// TestEventWrittenWithItsChange: an event inserted in a rolled-back
// transaction does not exist; a committed one does, with its scope, and is
// announced on gridd_events after its commit, once.
func TestEventWrittenWithItsChange(t *testing.T) {
	db := dbtest.New(t)
	ctx := context.Background()
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `LISTEN gridd_events`); err != nil {
		t.Fatal(err)
	}
	e := events.Event{Kind: events.CaseCreated, Object: "case", ObjectID: "7", GridCode: "370114001001001",
		UnitCodes: []string{"D01"}, Data: map[string]any{"number": "2026-12-000007"}}
	if err := postgis.InsertEventForTest(ctx, db, e, false); err != nil {
		t.Fatal(err)
	}
	if err := postgis.InsertEventForTest(ctx, db, e, true); err != nil {
		t.Fatal(err)
	}
	var n int
	var grid, number string
	if err := db.Pool.QueryRow(ctx, `SELECT count(*), min(grid_code), min(data->>'number') FROM events`).Scan(&n, &grid, &number); err != nil {
		t.Fatal(err)
	}
	if n != 1 || grid != e.GridCode || number != "2026-12-000007" {
		t.Fatalf("events: %d rows, grid %q, number %q; want the committed one only", n, grid, number)
	}
	note, err := conn.Conn().WaitForNotification(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if note.Channel != "gridd_events" {
		t.Fatalf("notification %+v", note)
	}
	// One: the rolled-back transaction announced nothing.
	wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if extra, err := conn.Conn().WaitForNotification(wctx); err == nil {
		t.Fatalf("a second notification %+v (the rolled-back event's?)", extra)
	}
}
