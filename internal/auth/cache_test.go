package auth

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/people"
)

func entry(id int64) cached {
	return cached{p: &Principal{User: &people.User{ID: id, Role: people.RoleCenter}}, expires: time.Now().Add(time.Hour)}
}

// TestCacheInvalidation: notifications drop one token or a user's tokens;
// a fill read before an invalidation is not kept; a cache whose listener
// is down holds and answers nothing.
func TestCacheInvalidation(t *testing.T) {
	c := NewCache(10)
	a, b, x := hashToken("a"), hashToken("b"), hashToken("x")
	put := func(h []byte, id int64) {
		gen, ok := c.begin()
		if !ok {
			t.Fatal("listening cache refuses fills")
		}
		c.put(h, gen, entry(id))
	}
	gen, _ := c.begin()
	c.put(a, gen, entry(1))
	if _, ok := c.get(a); ok {
		t.Fatal("a cache that does not listen answered")
	}
	c.SetListening(true)
	put(a, 1)
	put(b, 1)
	put(x, 2)
	c.Note("t" + hex.EncodeToString(a))
	if _, ok := c.get(a); ok {
		t.Error("token a still held after its notification")
	}
	if _, ok := c.get(b); !ok {
		t.Error("token b dropped by a's notification")
	}
	c.Note("u1")
	if _, ok := c.get(b); ok {
		t.Error("user 1's token b still held after u1")
	}
	if _, ok := c.get(x); !ok {
		t.Error("user 2's token dropped by u1")
	}
	// A read that started before an invalidation is not kept.
	gen, _ = c.begin()
	c.Note("u7")
	c.put(a, gen, entry(1))
	if _, ok := c.get(a); ok {
		t.Error("a fill older than an invalidation was kept")
	}
	c.Note("garbage")
	if c.Len() != 0 {
		t.Errorf("an unknown notification left %d entries", c.Len())
	}
	put(a, 1)
	c.SetListening(false)
	if c.Len() != 0 {
		t.Error("entries kept after the listener went down")
	}
}
