package main

import (
	"context"
	"sync"
	"time"
)

// startLayerRevisions keeps the layer revisions in memory (postgis
// DB.ListenLayers) on a connection of its own, reconnecting after a second
// when it fails; meanwhile the revisions are read from the database.
func (a *app) startLayerRevisions() {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			err := a.db.ListenLayers(ctx)
			if ctx.Err() != nil {
				return
			}
			a.log.Warn("layer revisions: listen failed; reading them from the database until it reconnects", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}()
	a.stopLayerRevisions = func() { cancel(); wg.Wait() }
}

func (a *app) closeLayerRevisions() {
	if a.stopLayerRevisions != nil {
		a.stopLayerRevisions()
	}
}
