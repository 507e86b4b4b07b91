package auditlog

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// memStore is an in-memory Store for the chain logic; the PostgreSQL
// store is tested end to end in cmd/gridd.
type memStore struct {
	mu      sync.Mutex
	es      []*Entry
	batches []int
}

func (m *memStore) Append(_ context.Context, es ...*Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.batches = append(m.batches, len(es))
	for _, e := range es {
		prev := Genesis
		if len(m.es) > 0 {
			prev = m.es[len(m.es)-1].Hash
		}
		e.ID = int64(len(m.es) + 1)
		e.PrevHash = prev
		e.Hash = ChainHash(prev, e)
		c := *e
		m.es = append(m.es, &c)
	}
	return nil
}

func (m *memStore) Scan(_ context.Context, fn func(*Entry) error) error {
	for _, e := range m.es {
		c := *e
		if err := fn(&c); err != nil {
			return err
		}
	}
	return nil
}

func (m *memStore) FindEntries(context.Context, Filter) ([]*Entry, error) { return m.es, nil }

func TestVerify(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.UTC)
	build := func() *memStore {
		m := &memStore{}
		l := &Log{Store: m, Now: func() time.Time { return at }}
		for _, actor := range []string{"a", "b", "c", "d"} {
			if err := l.Record(ctx, &Entry{Action: ActionWrite, Actor: actor}); err != nil {
				t.Fatal(err)
			}
		}
		return m
	}
	m := build()
	rep, err := Verify(ctx, m, "")
	if err != nil || !rep.OK || rep.Entries != 4 {
		t.Fatalf("clean chain: %+v %v", rep, err)
	}
	if m.es[0].At.Nanosecond()%1000 != 0 {
		t.Errorf("the instant is not truncated to microseconds: %v", m.es[0].At)
	}
	head := rep.Head

	cases := map[string]struct {
		tamper func(m *memStore)
		id     int64
		reason string
	}{
		"edited actor":  {func(m *memStore) { m.es[1].Actor = "mallory" }, 2, "content_altered"},
		"edited status": {func(m *memStore) { m.es[2].Status = 200 }, 3, "content_altered"},
		"edited time":   {func(m *memStore) { m.es[0].At = m.es[0].At.Add(time.Microsecond) }, 1, "content_altered"},
		"deleted row":   {func(m *memStore) { m.es = append(m.es[:1], m.es[2:]...) }, 3, "prev_hash_mismatch"},
		"swapped rows":  {func(m *memStore) { m.es[1], m.es[2] = m.es[2], m.es[1] }, 3, "prev_hash_mismatch"},
	}
	for name, c := range cases {
		m := build()
		c.tamper(m)
		rep, err := Verify(ctx, m, "")
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK || rep.Breaks[0].ID != c.id || rep.Breaks[0].Reason != c.reason {
			t.Errorf("%s: want first break %s at %d, got %+v", name, c.reason, c.id, rep.Breaks)
		}
	}
	// A rewritten chain (every hash recomputed) is only caught by a head
	// noted earlier.
	m = build()
	m.es[1].Actor = "mallory"
	prev := m.es[0].Hash
	for _, e := range m.es[1:] {
		e.PrevHash = prev
		e.Hash = ChainHash(prev, e)
		prev = e.Hash
	}
	if rep, _ := Verify(ctx, m, ""); !rep.OK {
		t.Fatalf("a consistently rewritten chain should verify without a head: %+v", rep)
	}
	if rep, _ := Verify(ctx, m, head); rep.OK {
		t.Errorf("a rewritten chain passed against the head noted before")
	}
}

// slowStore delays each append, as a durable commit does.
type slowStore struct{ memStore }

func (s *slowStore) Append(ctx context.Context, es ...*Entry) error {
	time.Sleep(2 * time.Millisecond)
	return s.memStore.Append(ctx, es...)
}

// TestGroupCommit: concurrent Records share appends, every entry is
// stored once, and the chain verifies.
func TestGroupCommit(t *testing.T) {
	st := &slowStore{}
	l := &Log{Store: st, Now: func() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) }}
	var wg sync.WaitGroup
	const n = 400
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.Record(context.Background(), &Entry{Action: ActionWrite, Path: fmt.Sprint("/x/", i)}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(st.es) != n {
		t.Fatalf("%d entries stored, want %d", len(st.es), n)
	}
	seen := map[string]bool{}
	for _, e := range st.es {
		if seen[e.Path] {
			t.Fatalf("%s stored twice", e.Path)
		}
		seen[e.Path] = true
	}
	if len(st.batches) >= n/2 {
		t.Errorf("%d appends for %d concurrent records: no grouping", len(st.batches), n)
	}
	rep, err := Verify(context.Background(), st, "")
	if err != nil || !rep.OK {
		t.Errorf("chain after group commits: %+v %v", rep, err)
	}
}
