package main

import (
	"context"
	"sync"
	"time"
)

// keepListening runs listen (a LISTEN on a connection of its own, which
// returns when the connection fails) until ctx ends or stop is called,
// again a second after each failure, logging warning with the error.
// stop cancels the listener and waits for it to return.
func (a *app) keepListening(ctx context.Context, warning string, listen func(context.Context) error) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			err := listen(ctx)
			if ctx.Err() != nil {
				return
			}
			a.log.Warn(warning, "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}()
	return func() { cancel(); wg.Wait() }
}
