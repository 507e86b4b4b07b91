-- +goose Up
-- API keys for desktop GIS clients (QGIS, GDAL), passed as ?key=. Only a
-- SHA-256 hash of the key is kept; the key is shown once at creation.
CREATE TABLE api_keys (
    id         bigserial PRIMARY KEY,
    key_hash   bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
    user_id    bigint NOT NULL REFERENCES users (id),
    name       text NOT NULL CHECK (name <> '' AND length(name) <= 100),
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX api_keys_user ON api_keys (user_id);

-- The grids map layer shows each grid's current worker, so a change of
-- assignments (or of a user's name) is a change of that layer: bump the
-- 'assignments' revision in the same transaction as the change.
INSERT INTO layer_revisions (layer) VALUES ('assignments') ON CONFLICT DO NOTHING;

-- +goose StatementBegin
CREATE FUNCTION bump_assignments_layer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE layer_revisions SET revision = revision + 1, changed_at = now() WHERE layer = 'assignments';
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER grid_assignments_layer AFTER INSERT OR UPDATE OR DELETE ON grid_assignments
    FOR EACH STATEMENT EXECUTE FUNCTION bump_assignments_layer();
CREATE TRIGGER users_layer AFTER UPDATE OF name, username ON users
    FOR EACH STATEMENT EXECUTE FUNCTION bump_assignments_layer();

-- +goose Down
DROP TRIGGER users_layer ON users;
DROP TRIGGER grid_assignments_layer ON grid_assignments;
DROP FUNCTION bump_assignments_layer();
DELETE FROM layer_revisions WHERE layer = 'assignments';
DROP TABLE api_keys;
