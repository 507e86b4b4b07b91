package main

import (
	"context"
	"sync"
	"time"

	"github.com/gridd/gridd/internal/auth"
)

// defaultAuthCache is how many principals an instance keeps in memory.
const defaultAuthCache = 10000

// authCache is the in-memory principal cache and the listener that keeps
// it honest across instances.
type authCacheParts struct {
	principals    *auth.Cache
	stopAuthCache func()
	// stopLayerRevisions ends the layer revisions' listener (layers.go).
	stopLayerRevisions func()
}

// newAuthCache returns the cache Config asks for (nil: off).
func newAuthCache(c Config) *auth.Cache {
	switch {
	case c.AuthCache < 0:
		return nil
	case c.AuthCache == 0:
		return auth.NewCache(defaultAuthCache)
	}
	return auth.NewCache(c.AuthCache)
}

// startAuthCache listens on gridd_auth for the cache's invalidations on a
// connection of its own, reconnecting after a second when it fails. The
// cache is used only while listening and emptied on every (re)connect,
// since notifications may have been missed meanwhile.
func (a *app) startAuthCache(cache *auth.Cache) {
	a.principals = cache
	if cache == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			err := a.db.ListenAuth(ctx, func() { cache.SetListening(true) }, cache.Note)
			cache.SetListening(false)
			if ctx.Err() != nil {
				return
			}
			a.log.Warn("auth cache: listen failed; reading every token from the database until it reconnects", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}()
	a.stopAuthCache = func() { cancel(); wg.Wait() }
}

func (a *app) closeAuthCache() {
	if a.stopAuthCache != nil {
		a.stopAuthCache()
	}
}
