-- +goose Up
-- The audit chain is sealed after commit (issue 21): a write inserts its
-- audit entry in its own transaction without a chain link (prev_hash,
-- hash and seal NULL) and with mac, the entry's own keyed hash; a sealer
-- (one at a time, by advisory lock) links the committed entries into the
-- chain shortly after, numbering them by seal. Chain order is seal order,
-- so commits no longer wait for each other on the chain's lock.
ALTER TABLE audit_log
    ALTER COLUMN prev_hash DROP NOT NULL,
    ALTER COLUMN hash DROP NOT NULL,
    ADD COLUMN seal bigint,
    ADD COLUMN mac bytea CHECK (length(mac) = 32),
    ADD CONSTRAINT audit_log_sealed CHECK ((seal IS NULL) = (hash IS NULL) AND (hash IS NULL) = (prev_hash IS NULL));

-- Entries written before: sealed in id order (their chain order).
ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change;
UPDATE audit_log a SET seal = o.n FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM audit_log) o WHERE a.id = o.id;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change;

CREATE UNIQUE INDEX audit_log_seal ON audit_log (seal);
CREATE INDEX audit_log_unsealed ON audit_log (id) WHERE hash IS NULL;

-- +goose StatementBegin
-- Append-only, except the sealing of an unsealed entry: seal, prev_hash
-- and hash set once, nothing else changed.
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.hash IS NULL AND NEW.hash IS NOT NULL
       AND to_jsonb(NEW) - '{seal,prev_hash,hash}'::text[] = to_jsonb(OLD) - '{seal,prev_hash,hash}'::text[] THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd
DROP INDEX audit_log_unsealed;
DROP INDEX audit_log_seal;
ALTER TABLE audit_log DROP CONSTRAINT audit_log_sealed, DROP COLUMN mac, DROP COLUMN seal;
