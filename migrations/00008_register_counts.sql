-- +goose Up
-- Per-grid register counts for the grids map layer and OGC collection: a
-- record counts in its grid and in every ancestor of it, so a street shows
-- the total of its communities. Kept by a statement-level trigger from the
-- rows each statement changed (one upsert per touched grid, whatever the
-- batch size), and rebuilt whole by rebuild_grid_register_counts() after a
-- grid change has re-assigned the records (a re-parented grid changes the
-- ancestors). A change of counts bumps the 'registers' layer revision, on
-- which the grids tiles depend; the revision row is locked before the
-- count rows, so concurrent register writes cannot deadlock on them.
CREATE TABLE grid_register_counts (
    grid_code     text PRIMARY KEY,
    households    bigint NOT NULL DEFAULT 0,
    people        bigint NOT NULL DEFAULT 0,
    buildings     bigint NOT NULL DEFAULT 0,
    businesses    bigint NOT NULL DEFAULT 0,
    places        bigint NOT NULL DEFAULT 0,
    organisations bigint NOT NULL DEFAULT 0
);
INSERT INTO layer_revisions (layer) VALUES ('registers') ON CONFLICT DO NOTHING;

-- register_count_deltas expands (grid_code, kind, n) rows to the grid and
-- its current ancestors and sums them per grid and kind.
-- +goose StatementBegin
CREATE FUNCTION register_count_deltas(codes text[], kinds text[], ns bigint[])
RETURNS TABLE (grid_code text, households bigint, people bigint, buildings bigint,
               businesses bigint, places bigint, organisations bigint)
LANGUAGE sql STABLE AS $$
WITH RECURSIVE d AS (
    SELECT * FROM unnest(codes, kinds, ns) AS d(code, kind, n) WHERE code IS NOT NULL
), anc AS (
    SELECT g.code, g.parent_code, d.kind, d.n FROM d JOIN grid_versions g ON g.code = d.code AND g.valid_to IS NULL
    UNION ALL
    SELECT p.code, p.parent_code, anc.kind, anc.n FROM anc JOIN grid_versions p ON p.code = anc.parent_code AND p.valid_to IS NULL
)
SELECT code,
       coalesce(sum(n) FILTER (WHERE kind = 'household'), 0)::bigint, coalesce(sum(n) FILTER (WHERE kind = 'person'), 0)::bigint,
       coalesce(sum(n) FILTER (WHERE kind = 'building'), 0)::bigint, coalesce(sum(n) FILTER (WHERE kind = 'business'), 0)::bigint,
       coalesce(sum(n) FILTER (WHERE kind = 'place'), 0)::bigint, coalesce(sum(n) FILTER (WHERE kind = 'organisation'), 0)::bigint
FROM anc GROUP BY code
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION register_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    codes text[];
    kinds text[];
    ns    bigint[];
    d     grid_register_counts[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(c), array_agg(k), array_agg(n) INTO codes, kinds, ns FROM (
            SELECT grid_code AS c, kind AS k, count(*) AS n FROM new_rows WHERE grid_code IS NOT NULL GROUP BY 1, 2) x;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(c), array_agg(k), array_agg(n) INTO codes, kinds, ns FROM (
            SELECT grid_code AS c, kind AS k, -count(*) AS n FROM old_rows WHERE grid_code IS NOT NULL GROUP BY 1, 2) x;
    ELSE
        SELECT array_agg(c), array_agg(k), array_agg(n) INTO codes, kinds, ns FROM (
            SELECT c, k, sum(n) AS n FROM (
                SELECT grid_code AS c, kind AS k, 1 AS n FROM new_rows WHERE grid_code IS NOT NULL
                UNION ALL
                SELECT grid_code, kind, -1 FROM old_rows WHERE grid_code IS NOT NULL
            ) u GROUP BY 1, 2 HAVING sum(n) <> 0) x;
    END IF;
    IF codes IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT array_agg(r ORDER BY r.grid_code) INTO d FROM register_count_deltas(codes, kinds, ns) r
    WHERE r.households <> 0 OR r.people <> 0 OR r.buildings <> 0 OR r.businesses <> 0 OR r.places <> 0 OR r.organisations <> 0;
    IF d IS NULL THEN
        RETURN NULL;
    END IF;
    UPDATE layer_revisions SET revision = revision + 1, changed_at = now() WHERE layer = 'registers';
    INSERT INTO grid_register_counts AS c SELECT * FROM unnest(d)
    ON CONFLICT (grid_code) DO UPDATE SET
        households = c.households + excluded.households, people = c.people + excluded.people,
        buildings = c.buildings + excluded.buildings, businesses = c.businesses + excluded.businesses,
        places = c.places + excluded.places, organisations = c.organisations + excluded.organisations;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER register_records_counts_ins AFTER INSERT ON register_records
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION register_counts_apply();
CREATE TRIGGER register_records_counts_upd AFTER UPDATE ON register_records
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION register_counts_apply();
CREATE TRIGGER register_records_counts_del AFTER DELETE ON register_records
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION register_counts_apply();

-- +goose StatementBegin
CREATE FUNCTION rebuild_grid_register_counts() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE layer_revisions SET revision = revision + 1, changed_at = now() WHERE layer = 'registers';
    DELETE FROM grid_register_counts;
    INSERT INTO grid_register_counts
    SELECT r.* FROM (
        SELECT array_agg(grid_code) AS codes, array_agg(kind) AS kinds, array_agg(n) AS ns FROM (
            SELECT grid_code, kind, count(*) AS n FROM register_records WHERE grid_code IS NOT NULL GROUP BY 1, 2) x
    ) a, register_count_deltas(a.codes, a.kinds, a.ns) r;
END $$;
-- +goose StatementEnd
SELECT rebuild_grid_register_counts();

-- +goose Down
DROP TRIGGER register_records_counts_del ON register_records;
DROP TRIGGER register_records_counts_upd ON register_records;
DROP TRIGGER register_records_counts_ins ON register_records;
DROP FUNCTION rebuild_grid_register_counts();
DROP FUNCTION register_counts_apply();
DROP FUNCTION register_count_deltas(text[], text[], bigint[]);
DELETE FROM layer_revisions WHERE layer = 'registers';
DROP TABLE grid_register_counts;
