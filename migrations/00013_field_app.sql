-- +goose Up
-- The field app retries every write it queued offline with the
-- Idempotency-Key it made when the action was made.

-- POST /api/v1/uploads: a retried upload answers with the photo stored
-- first instead of storing a second copy.
ALTER TABLE uploads ADD COLUMN idempotency_key text CHECK (length(idempotency_key) BETWEEN 1 AND 200);
CREATE UNIQUE INDEX uploads_idempotency ON uploads (owner_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- POST /api/v1/cases/{id}/transitions: the key travels in the event's data
-- (data->>'idempotency_key'); a retried transition finds its event here and
-- is answered with the case as it stands instead of a stale-version 409.
CREATE INDEX case_events_idempotency ON case_events (actor_id, (data->>'idempotency_key'))
    WHERE data ? 'idempotency_key';

-- +goose Down
DROP INDEX case_events_idempotency;
DROP INDEX uploads_idempotency;
ALTER TABLE uploads DROP COLUMN idempotency_key;
