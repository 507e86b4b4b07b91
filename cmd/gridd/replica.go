package main

import (
	"context"
	"sync"

	"github.com/gridd/gridd/internal/httpapi"
	"github.com/gridd/gridd/internal/postgis"
)

// replicaParts are the read replica's pool and its health check loop.
type replicaParts struct {
	replica     *postgis.Replica
	stopReplica func()
}

// openReplica opens the read replica when --read-database-url is set and
// starts its health check: the standby serves reads only while it answers
// and replays within --read-max-lag of the primary. A standby down at
// start does not stop gridd: reads go to the primary until it is healthy.
func (a *app) openReplica(c Config) error {
	if c.ReadDatabaseURL == "" {
		return nil
	}
	r, err := postgis.OpenReplica(a.db, postgis.ReplicaConfig{URL: c.ReadDatabaseURL, StatementTimeout: c.StatementTimeout,
		MaxLag: c.ReadMaxLag, Wait: c.ReadWait, Every: c.ReadCheckEvery})
	if err != nil {
		return err
	}
	r.Changed = func(inUse bool, reason error) {
		if inUse {
			a.log.Info("read replica in use")
		} else {
			a.log.Warn("read replica out of use: reads go to the primary", "reason", reason)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); r.Run(ctx) }()
	a.replica = r
	a.stopReplica = func() { cancel(); wg.Wait(); r.Close() }
	return nil
}

func (a *app) closeReplica() {
	if a.stopReplica != nil {
		a.stopReplica()
	}
}

// readRouter is the replica as the HTTP API's ReadRouter, or nil (not a
// typed nil) without one.
func (a *app) readRouter() httpapi.ReadRouter {
	if a.replica == nil {
		return nil
	}
	return a.replica
}

// replicaStats are the replica's figures for /metrics, or nil without one.
func (a *app) replicaStats() func() httpapi.ReplicaStats {
	if a.replica == nil {
		return nil
	}
	return func() httpapi.ReplicaStats {
		st := a.replica.Status()
		return httpapi.ReplicaStats{InUse: st.InUse, Lag: st.Lag, Routed: st.Routed, FellBack: st.FellBack, Retry: st.Failed}
	}
}
