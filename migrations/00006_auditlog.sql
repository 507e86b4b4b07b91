-- +goose Up
-- Service-wide audit log (internal/auditlog). Append-only: a trigger
-- refuses UPDATE, DELETE and TRUNCATE for every role, including the
-- application's. A superuser can disable the trigger; the hash chain
-- (prev_hash, hash) then shows the edit to `gridd audit verify-log`.
-- Retention: gridd never deletes entries (at least 180 days are required).
CREATE TABLE audit_log (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL,
    actor_id   bigint,
    actor      text NOT NULL DEFAULT '',
    role       text NOT NULL DEFAULT '',
    action     text NOT NULL CHECK (action <> ''),
    method     text NOT NULL DEFAULT '',
    route      text NOT NULL DEFAULT '',
    path       text NOT NULL DEFAULT '',
    status     int  NOT NULL DEFAULT 0,
    request_id text NOT NULL DEFAULT '',
    object     text NOT NULL DEFAULT '',
    grid_code  text NOT NULL DEFAULT '',
    reason     text NOT NULL DEFAULT '',
    prev_hash  bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash       bytea NOT NULL CHECK (length(hash) = 32)
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_object ON audit_log (object, id);

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;

-- +goose Down
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
