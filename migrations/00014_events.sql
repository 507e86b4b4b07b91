-- +goose Up
-- events is the durable log of what happened, written in the same
-- transaction as the change it reports (so an event exists exactly when its
-- change committed). It feeds the live stream (GET /api/v1/events, resumed
-- with Last-Event-ID), outgoing webhooks (the outbox) and inboxes. Readers
-- learn of new rows by NOTIFY on the channel gridd_events (payload: the id)
-- and fall back to polling.
CREATE TABLE events (
    id         bigserial PRIMARY KEY,
    kind       text NOT NULL CHECK (kind ~ '^[a-z_]+\.[a-z_]+$'),   -- e.g. case.created
    object     text NOT NULL,                                       -- case, grid, patrol_day
    object_id  text NOT NULL,                                       -- the object's id or code
    grid_code  text,                                                -- where it happened (scoping); NULL: nowhere in particular
    unit_codes text[] NOT NULL DEFAULT '{}',                        -- departments concerned (scoping)
    user_ids   bigint[] NOT NULL DEFAULT '{}',                      -- users addressed (the reporter, the worker)
    data       jsonb NOT NULL DEFAULT '{}',                         -- what a reader shows: number, status, …
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_at ON events (at);

-- +goose StatementBegin
CREATE FUNCTION events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gridd_events', NEW.id::text);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER events_notify AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_notify();

-- +goose Down
DROP TABLE events;
DROP FUNCTION events_notify();
