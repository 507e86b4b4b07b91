package postgis_test

import (
	"encoding/binary"
	"io"
	"net"
	"net/url"
	"sync/atomic"
	"testing"
)

// breakingProxy forwards PostgreSQL connections (sslmode=disable) to a
// server and can lose an answer: armed with n, it closes the first
// connection whose server response (the messages up to ReadyForQuery)
// holds at least n rows (DataRow messages), instead of forwarding it.
// The server has then run, and committed, what the client never hears of:
// the broken connection after a commit.
type breakingProxy struct {
	ln     net.Listener
	target string
	armed  atomic.Int32
	broken atomic.Int32
}

// newBreakingProxy starts a proxy to the server of dbURL and returns it
// with dbURL through it.
func newBreakingProxy(t *testing.T, dbURL string) (*breakingProxy, string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &breakingProxy{ln: ln, target: u.Host}
	t.Cleanup(func() { ln.Close() })
	go p.serve()
	u.Host = ln.Addr().String()
	return p, u.String()
}

// arm makes the proxy lose the next response with n or more rows.
func (p *breakingProxy) arm(n int) { p.armed.Store(int32(n)) }

func (p *breakingProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		go func() {
			_, _ = io.Copy(s, c)
			s.Close()
		}()
		go p.answer(c, s)
	}
}

// answer forwards s's responses to c, one whole response at a time.
func (p *breakingProxy) answer(c, s net.Conn) {
	defer c.Close()
	defer s.Close()
	var resp []byte
	rows := 0
	head := make([]byte, 5)
	for {
		if _, err := io.ReadFull(s, head); err != nil {
			return
		}
		body := make([]byte, int(binary.BigEndian.Uint32(head[1:]))-4)
		if _, err := io.ReadFull(s, body); err != nil {
			return
		}
		resp = append(append(resp, head...), body...)
		switch head[0] {
		case 'D':
			rows++
		case 'Z':
			if n := p.armed.Load(); n > 0 && rows >= int(n) && p.armed.CompareAndSwap(n, 0) {
				p.broken.Add(1)
				return
			}
			if _, err := c.Write(resp); err != nil {
				return
			}
			resp, rows = resp[:0], 0
		}
	}
}
