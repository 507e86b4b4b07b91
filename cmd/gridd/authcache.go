package main

import (
	"context"

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
	a.stopAuthCache = a.keepListening(context.Background(),
		"auth cache: listen failed; reading every token from the database until it reconnects",
		func(ctx context.Context) error {
			err := a.db.ListenAuth(ctx, func() { cache.SetListening(true) }, cache.Note)
			cache.SetListening(false)
			return err
		})
}

func (a *app) closeAuthCache() {
	if a.stopAuthCache != nil {
		a.stopAuthCache()
	}
}
