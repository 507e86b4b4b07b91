package main

import (
	"bufio"
	"io"
	"log/slog"
	"sync"
	"time"
)

// logWriter buffers log lines and writes them out when the buffer fills
// or every interval, so a busy server does not make a write(2) per line.
// Lines written in the last interval before a crash may be lost; Close
// flushes the rest.
type logWriter struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

func newLogWriter(w io.Writer, size int, interval time.Duration) *logWriter {
	lw := &logWriter{w: bufio.NewWriterSize(w, size), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(lw.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-lw.stop:
				return
			case <-t.C:
				lw.Flush()
			}
		}
	}()
	return lw
}

// Write buffers p (one log line from slog).
func (lw *logWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.w.Write(p)
}

// Flush writes out what is buffered.
func (lw *logWriter) Flush() {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	_ = lw.w.Flush()
}

// Close stops the flusher and flushes.
func (lw *logWriter) Close() {
	close(lw.stop)
	<-lw.done
	lw.Flush()
}

// newServerLogger is the serving process's logger: JSON lines at level,
// buffered (flushed every 200 ms and on close).
func newServerLogger(w io.Writer, level slog.Level) (*slog.Logger, func()) {
	lw := newLogWriter(w, 64<<10, 200*time.Millisecond)
	return slog.New(slog.NewJSONHandler(lw, &slog.HandlerOptions{Level: level})), lw.Close
}
