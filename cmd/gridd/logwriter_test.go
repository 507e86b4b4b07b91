package main

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// countingWriter counts the writes that reach it (each a syscall for a
// file or stderr).
type countingWriter struct {
	mu     sync.Mutex
	writes int
	buf    bytes.Buffer
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	return c.buf.Write(p)
}

// TestServerLoggerBuffers: 2,000 log lines reach the output in a handful
// of writes, not one each, and every line is there after the flush.
func TestServerLoggerBuffers(t *testing.T) {
	out := &countingWriter{}
	log, flush := newServerLogger(out, slog.LevelInfo)
	for i := range 2000 {
		log.Info("request", "i", i, "route", "/api/v1/locate", "status", 200)
	}
	log.Debug("below the level")
	flush()
	lines := strings.Count(out.buf.String(), "\n")
	if lines != 2000 {
		t.Fatalf("%d lines written, want 2000", lines)
	}
	// ~90 bytes a line: ~180 KB in 64 KiB writes, plus the timer's flushes.
	if out.writes > 20 {
		t.Errorf("2000 lines took %d writes; want them buffered", out.writes)
	}
	t.Logf("2000 lines, %d bytes, %d writes", out.buf.Len(), out.writes)
}
