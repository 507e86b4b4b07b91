-- +goose Up
-- Live events and outgoing webhooks (issue 14).
--
-- events.xid is the writing transaction's id. Readers deliver events in
-- (xid, id) order and only those whose transaction is older than every
-- transaction still running (xid < pg_snapshot_xmin(pg_current_snapshot())):
-- such rows are final, and any row that becomes visible later has a larger
-- xid. Ordering by id alone would skip an event whose bigserial id was
-- taken before, but committed after, a higher one.
ALTER TABLE events ADD COLUMN xid bigint NOT NULL DEFAULT (pg_current_xact_id()::text)::bigint;
CREATE INDEX events_xid_id ON events (xid, id);

-- A webhook subscription: events of kinds (empty: all) in the grid subtree
-- under grid_code (NULL: everywhere) are POSTed to url, signed with secret.
CREATE TABLE webhooks (
    id          bigserial PRIMARY KEY,
    url         text NOT NULL,
    kinds       text[] NOT NULL DEFAULT '{}',
    grid_code   text,
    secret      text NOT NULL,
    created_by  bigint REFERENCES users(id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- events up to this id were committed before the subscription existed
    since_event bigint NOT NULL DEFAULT 0
);

-- The relay's cursor over events, in (xid, id) order: one row.
CREATE TABLE webhook_relay (
    id       int PRIMARY KEY CHECK (id = 1),
    xid      bigint NOT NULL,
    event_id bigint NOT NULL
);
INSERT INTO webhook_relay (id, xid, event_id) VALUES (1, 0, 0);

-- One delivery of one event to one subscription (the River job carries its
-- id; the id is the X-Gridd-Delivery header, the same on every retry).
CREATE TABLE webhook_deliveries (
    id           bigserial PRIMARY KEY,
    webhook_id   bigint NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event_id     bigint NOT NULL REFERENCES events(id),
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'retrying', 'dead')),
    attempts     int NOT NULL DEFAULT 0,
    last_error   text NOT NULL DEFAULT '',
    last_status  int,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_status ON webhook_deliveries (webhook_id, status, id);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_relay;
DROP TABLE webhooks;
DROP INDEX events_xid_id;
ALTER TABLE events DROP COLUMN xid;
