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

-- Grids changed, by the transaction that changed them (issue 21): the grids
-- tile snapshot patches only these grids. A reader that saw everything
-- visible to a snapshot whose xmin was X (pg_snapshot_xmin) finds every
-- change it has not seen among the rows with xid >= X. Readers prune rows
-- older than a day (a snapshot that old is reloaded whole).
CREATE TABLE grid_changes (
    xid       xid8 NOT NULL DEFAULT pg_current_xact_id(),
    grid_code text NOT NULL,
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX grid_changes_xid ON grid_changes (xid);

-- +goose StatementBegin
CREATE FUNCTION grid_changes_note() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n text;
    o text;
BEGIN
    IF TG_OP <> 'DELETE' THEN n := to_jsonb(NEW) ->> TG_ARGV[0]; END IF;
    IF TG_OP <> 'INSERT' THEN o := to_jsonb(OLD) ->> TG_ARGV[0]; END IF;
    INSERT INTO grid_changes (grid_code) SELECT DISTINCT c FROM unnest(ARRAY[n, o]) c WHERE c IS NOT NULL;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER grid_versions_changes AFTER INSERT OR UPDATE OR DELETE ON grid_versions
    FOR EACH ROW EXECUTE FUNCTION grid_changes_note('code');
CREATE TRIGGER grid_assignments_changes AFTER INSERT OR UPDATE OR DELETE ON grid_assignments
    FOR EACH ROW EXECUTE FUNCTION grid_changes_note('grid_code');
CREATE TRIGGER grid_register_counts_changes AFTER INSERT OR UPDATE OR DELETE ON grid_register_counts
    FOR EACH ROW EXECUTE FUNCTION grid_changes_note('grid_code');

-- +goose Down
DROP TRIGGER grid_versions_changes ON grid_versions;
DROP TRIGGER grid_assignments_changes ON grid_assignments;
DROP TRIGGER grid_register_counts_changes ON grid_register_counts;
DROP FUNCTION grid_changes_note();
DROP TABLE grid_changes;
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
