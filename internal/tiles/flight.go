package tiles

import (
	"context"
	"time"

	"golang.org/x/sync/singleflight"
)

// flightTimeout bounds a shared render or load once no single caller's
// context does.
const flightTimeout = 2 * time.Minute

// shared runs fn once for all concurrent callers of key and gives each the
// result. fn runs under a context that no one caller's cancellation ends — a
// map pan that cancels the first request for a tile must not fail every
// request waiting for the same tile — bounded by flightTimeout; each caller
// waits for the result or for its own context, whichever ends first.
func shared(ctx context.Context, g *singleflight.Group, key string, fn func(context.Context) (any, error)) (any, error) {
	ch := g.DoChan(key, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flightTimeout)
		defer cancel()
		return fn(fctx)
	})
	select {
	case r := <-ch:
		return r.Val, r.Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
