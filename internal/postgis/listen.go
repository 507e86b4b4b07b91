package postgis

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Listen holds a connection of its own (outside the pool) listening on
// channel: it calls listening once LISTEN took effect (anything committed
// before may have been missed), then note with each notification's
// payload, until ctx ends or the connection fails. The statement timeout
// does not apply to waiting.
func (db *DB) Listen(ctx context.Context, channel string, listening func(), note func(payload string)) error {
	conn, err := pgx.ConnectConfig(ctx, db.Pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{channel}.Sanitize()); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		note(n.Payload)
	}
}

// ListenAuth listens on gridd_auth (see migration 00022) for the auth
// cache's invalidations.
func (db *DB) ListenAuth(ctx context.Context, listening func(), note func(payload string)) error {
	return db.Listen(ctx, "gridd_auth", listening, note)
}
