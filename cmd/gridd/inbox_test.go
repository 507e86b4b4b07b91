package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/inbox"
	"github.com/gridd/gridd/internal/msg"
	"github.com/gridd/gridd/internal/people"
)

// roleUsers are the demo logins of the access matrix.
var roleUsers = map[string]string{"anonymous": "admin", "admin": "admin", "center": "center", "department": "dept-hwsuo", "worker": ownGrid, "viewer": "viewer",
	"volunteer": "volunteer", "informant": "informant", "police": "police", "liaison": "liaison"}

// newNotification stores a notification for role's login and returns its id.
func newNotification(ta *testApp, role string) int64 {
	ta.t.Helper()
	ctx := context.Background()
	u, err := ta.people.FindUserByUsername(ctx, roleUsers[role])
	if err != nil {
		ta.t.Fatal(err)
	}
	key := fmt.Sprintf("test:%d", time.Now().UnixNano())
	if _, err := ta.clock.Store.SaveNotifications(ctx, []inbox.Notification{{UserID: u.ID, Kind: inbox.NoteMention, Key: msg.InboxDigest,
		Args: []any{1, 2, 3}, DedupKey: key, CreatedAt: time.Now()}}); err != nil {
		ta.t.Fatal(err)
	}
	var id int64
	if err := ta.db.Pool.QueryRow(ctx, `SELECT id FROM notifications WHERE user_id = $1 AND dedup_key = $2`, u.ID, key).Scan(&id); err != nil {
		ta.t.Fatal(err)
	}
	return id
}

// clockView is the stage clock of a case as the API shows it.
type clockView struct {
	ID            int64      `json:"id"`
	Number        string     `json:"number"`
	Version       int        `json:"version"`
	Status        string     `json:"status"`
	Stage         string     `json:"stage"`
	StageDue      *time.Time `json:"stage_due"`
	DeadlineState *string    `json:"deadline_state"`
	Overdue       bool       `json:"overdue"`
	EscalatedFrom string     `json:"escalated_from"`
	Timeline      []struct {
		Action  string         `json:"action"`
		ActorID int64          `json:"actor_id"`
		Data    map[string]any `json:"data"`
	} `json:"timeline"`
}

func (ta *testApp) clockOf(token string, id int64) clockView {
	ta.t.Helper()
	res := ta.do("GET", fmt.Sprintf("/api/v1/cases/%d", id), token, nil, nil)
	if res.Status != 200 {
		ta.t.Fatalf("case %d: %d %s", id, res.Status, res.Body)
	}
	var v clockView
	res.decode(ta.t, &v)
	return v
}

// wantClock checks a case's stage, stage_due and light.
func wantClock(t *testing.T, what string, v clockView, stage string, due time.Time, light string) {
	t.Helper()
	if v.Stage != stage {
		t.Errorf("%s: stage %q, want %q", what, v.Stage, stage)
	}
	switch {
	case due.IsZero() && v.StageDue != nil:
		t.Errorf("%s: stage_due %v, want none (clock stopped)", what, v.StageDue)
	case !due.IsZero() && (v.StageDue == nil || !v.StageDue.Equal(due)):
		t.Errorf("%s: stage_due %v, want %v", what, v.StageDue, due)
	}
	got := ""
	if v.DeadlineState != nil {
		got = *v.DeadlineState
	}
	if got != light {
		t.Errorf("%s: deadline_state %q, want %q", what, got, light)
	}
}

// inboxView is GET /api/v1/inbox.
type inboxView struct {
	Counts inbox.Counts `json:"counts"`
	Items  []struct {
		Kind   string `json:"kind"`
		CaseID int64  `json:"case_id"`
	} `json:"items"`
	Notifications []struct {
		ID     int64  `json:"id"`
		Kind   string `json:"kind"`
		CaseID int64  `json:"case_id"`
		Text   string `json:"text"`
		Read   bool   `json:"read"`
	} `json:"notifications"`
}

func (ta *testApp) inboxOf(token string) inboxView {
	ta.t.Helper()
	res := ta.do("GET", "/api/v1/inbox?limit=100", token, nil, nil)
	if res.Status != 200 {
		ta.t.Fatalf("inbox: %d %s", res.Status, res.Body)
	}
	var v inboxView
	res.decode(ta.t, &v)
	return v
}

func (v inboxView) has(kind string, id int64) bool {
	for _, it := range v.Items {
		if it.CaseID == id && (kind == "" || it.Kind == kind) {
			return true
		}
	}
	return false
}

func (v inboxView) notes(kind string, id int64) int {
	n := 0
	for _, x := range v.Notifications {
		if x.Kind == kind && x.CaseID == id {
			n++
		}
	}
	return n
}

// villageCenter adds a center for the village of the worker login's grid,
// so that the town center is the level above it.
const village = "370114001001000"

func addVillageCenter(t testing.TB, ta *testApp) string {
	t.Helper()
	hash, err := dbtest.FastHasher.Hash(dbtest.DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := ta.people.CreateUser(context.Background(), &people.User{Username: "center-v1", Name: "一村中心", Role: people.RoleCenter,
		ScopeCode: village, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	return ta.login("center-v1")
}

// twinApp opens a second instance of the app on ta's database with the same clock.
func twinApp(t testing.TB, ta *testApp, clk *testClock) *testApp {
	t.Helper()
	c := Config{DatabaseURL: ta.db.Pool.Config().ConnString(), StatementTimeout: 30 * time.Second, TokenTTL: 24 * 365 * time.Hour,
		MaxBody: 1 << 20, Now: clk.Now}
	return serveTestApp(t, c)
}

// startClockJobs starts ta's job client with a fast clock job.
func startClockJobs(t testing.TB, ta *testApp, id string) {
	t.Helper()
	ta.clockEvery = 150 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	stop, err := ta.startJobs(ctx, Config{InstanceID: id, JobPoll: 50 * time.Millisecond, ClockEvery: 150 * time.Millisecond})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(); cancel() })
}

func countRows(t testing.TB, ta *testApp, q string, args ...any) int {
	t.Helper()
	var n int
	if err := ta.db.Pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// eventually polls cond up to 30 s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
