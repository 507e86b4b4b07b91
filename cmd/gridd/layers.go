package main

import (
	"context"
)

// startLayerRevisions keeps the layer revisions in memory (postgis
// DB.ListenLayers) on a connection of its own, reconnecting after a second
// when it fails; meanwhile the revisions are read from the database.
func (a *app) startLayerRevisions() {
	a.stopLayerRevisions = a.keepListening(context.Background(),
		"layer revisions: listen failed; reading them from the database until it reconnects", a.db.ListenLayers)
}

func (a *app) closeLayerRevisions() {
	if a.stopLayerRevisions != nil {
		a.stopLayerRevisions()
	}
}
