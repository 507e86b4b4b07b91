-- +goose Up
-- Retries of the field duties' writes take effect once (issue 18): a
-- training session and a meeting are stored once per creator and
-- Idempotency-Key; a daily log entry keeps the key of its last write
-- (submission or amendment), so the field app's outbox can resend either.
ALTER TABLE training_sessions
    ADD COLUMN idem_key text CHECK (idem_key IS NULL OR length(idem_key) BETWEEN 1 AND 200),
    ADD COLUMN request_hash bytea,
    ADD CONSTRAINT training_sessions_idem UNIQUE (created_by, idem_key);
ALTER TABLE meetings
    ADD COLUMN idem_key text CHECK (idem_key IS NULL OR length(idem_key) BETWEEN 1 AND 200),
    ADD COLUMN request_hash bytea,
    ADD CONSTRAINT meetings_idem UNIQUE (created_by, idem_key);
ALTER TABLE worklogs
    ADD COLUMN idem_key text CHECK (idem_key IS NULL OR length(idem_key) BETWEEN 1 AND 200),
    ADD COLUMN request_hash bytea;

-- +goose Down
ALTER TABLE worklogs DROP COLUMN request_hash, DROP COLUMN idem_key;
ALTER TABLE meetings DROP CONSTRAINT meetings_idem, DROP COLUMN request_hash, DROP COLUMN idem_key;
ALTER TABLE training_sessions DROP CONSTRAINT training_sessions_idem, DROP COLUMN request_hash, DROP COLUMN idem_key;
