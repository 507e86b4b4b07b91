-- +goose Up
-- Each instance keeps the layer revisions in memory (postgis DB.revisions)
-- and reads them again only when told on the channel gridd_layers that a
-- layer changed. A change of a layer_revisions row tells it in the same
-- transaction, so no code path can forget to. (The layers bumped after
-- commit by a sequence notify with the bump, see bumpAfterCommit.)
-- +goose StatementBegin
CREATE FUNCTION layers_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gridd_layers', NEW.layer);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER layers_notify AFTER INSERT OR UPDATE ON layer_revisions FOR EACH ROW EXECUTE FUNCTION layers_notify();

-- The duplicate search of case intake (postgis duplicatesSQL: same
-- category, open, reported since, within a radius) reads one index over
-- space × category × time, so its cost follows the open cases of the
-- category near the point, not every open case of the category in the
-- window. Space first: GiST groups its pages by the leading key, and the
-- radius is what selects (category first measured 3× slower at 100,000).
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE INDEX cases_open_duplicates ON cases USING gist (geom, category_code, reported_at)
    WHERE status NOT IN ('rejected', 'closed', 'merged');

-- +goose Down
DROP INDEX cases_open_duplicates;
DROP TRIGGER layers_notify ON layer_revisions;
DROP FUNCTION layers_notify();
