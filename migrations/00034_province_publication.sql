-- +goose Up
-- Province aggregation (issue 20): a city database publishes its grids,
-- cases and monthly assessment figures to a province database by
-- PostgreSQL logical replication (`gridd province publish`; the province
-- runs `gridd province subscribe`). Rows of every city meet in the same
-- province tables, so each published row carries its county code
-- (administrative division code, 6 digits) and the province keys them by
-- (county_code, id).
--
-- Why a column and not per-city schemas: a subscription writes into the
-- table of the same schema-qualified name as the publisher's, so per-city
-- schemas would need per-city table names in every city. A column whose
-- default is the city's code costs nothing on write (a constant default,
-- no table rewrite), lets the publication's row filter send only rows of
-- that code, and lets the province's primary key (county_code, id) be the
-- replica identity: a subscriber finds the row of an UPDATE or DELETE by
-- its own identity columns, which must all be sent as the publisher's
-- identity, hence the (county_code, id) unique indexes below used as
-- REPLICA IDENTITY. The code stays '' until `gridd province publish
-- --county-code` sets it (and the default).
ALTER TABLE grid_versions ADD COLUMN county_code text NOT NULL DEFAULT ''
    CHECK (county_code = '' OR county_code ~ '^[0-9]{6}$');
CREATE UNIQUE INDEX grid_versions_county_id ON grid_versions (county_code, id);
ALTER TABLE grid_versions REPLICA IDENTITY USING INDEX grid_versions_county_id;

ALTER TABLE cases ADD COLUMN county_code text NOT NULL DEFAULT ''
    CHECK (county_code = '' OR county_code ~ '^[0-9]{6}$');
CREATE UNIQUE INDEX cases_county_id ON cases (county_code, id);
ALTER TABLE cases REPLICA IDENTITY USING INDEX cases_county_id;

-- The monthly figures a province compares: one row per assessed month,
-- the latest stored version's aggregate over every worker (no worker is
-- named: the per-worker results stay in assessment_runs, in the city).
CREATE TABLE assessment_months (
    county_code text NOT NULL DEFAULT '' CHECK (county_code = '' OR county_code ~ '^[0-9]{6}$'),
    month       text NOT NULL CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    version     int NOT NULL CHECK (version >= 1),
    workers     int NOT NULL CHECK (workers >= 0),
    qualified   int NOT NULL CHECK (qualified >= 0),
    vetoed      int NOT NULL CHECK (vetoed >= 0),
    total_sum   double precision NOT NULL,
    total_min   double precision,
    total_max   double precision,
    computed_at timestamptz NOT NULL,
    PRIMARY KEY (county_code, month)
);

-- Filled from each stored run, in the run's transaction: the figures
-- cannot disagree with the run they summarise.
-- +goose StatementBegin
CREATE FUNCTION assessment_months_from_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO assessment_months (month, version, workers, qualified, vetoed, total_sum, total_min, total_max, computed_at)
    SELECT NEW.month, NEW.version, count(*),
           count(*) FILTER (WHERE (r->>'qualified')::boolean),
           count(*) FILTER (WHERE (r->>'vetoed')::boolean),
           coalesce(sum((r->>'total')::double precision), 0),
           min((r->>'total')::double precision), max((r->>'total')::double precision), NEW.created_at
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(NEW.results) = 'array' THEN NEW.results ELSE '[]'::jsonb END) AS r
    ON CONFLICT (county_code, month) DO UPDATE SET
        version = EXCLUDED.version, workers = EXCLUDED.workers, qualified = EXCLUDED.qualified,
        vetoed = EXCLUDED.vetoed, total_sum = EXCLUDED.total_sum, total_min = EXCLUDED.total_min,
        total_max = EXCLUDED.total_max, computed_at = EXCLUDED.computed_at
    WHERE assessment_months.version < EXCLUDED.version;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER assessment_runs_months AFTER INSERT ON assessment_runs
    FOR EACH ROW EXECUTE FUNCTION assessment_months_from_run();

INSERT INTO assessment_months (month, version, workers, qualified, vetoed, total_sum, total_min, total_max, computed_at)
SELECT DISTINCT ON (ar.month) ar.month, ar.version,
       (SELECT count(*) FROM jsonb_array_elements(ar.results)),
       (SELECT count(*) FROM jsonb_array_elements(ar.results) r WHERE (r->>'qualified')::boolean),
       (SELECT count(*) FROM jsonb_array_elements(ar.results) r WHERE (r->>'vetoed')::boolean),
       (SELECT coalesce(sum((r->>'total')::double precision), 0) FROM jsonb_array_elements(ar.results) r),
       (SELECT min((r->>'total')::double precision) FROM jsonb_array_elements(ar.results) r),
       (SELECT max((r->>'total')::double precision) FROM jsonb_array_elements(ar.results) r),
       ar.created_at
FROM assessment_runs ar
WHERE jsonb_typeof(ar.results) = 'array'
ORDER BY ar.month, ar.version DESC;

-- +goose Down
DROP TRIGGER assessment_runs_months ON assessment_runs;
DROP FUNCTION assessment_months_from_run();
DROP TABLE assessment_months;
ALTER TABLE cases REPLICA IDENTITY DEFAULT;
DROP INDEX cases_county_id;
ALTER TABLE cases DROP COLUMN county_code;
ALTER TABLE grid_versions REPLICA IDENTITY DEFAULT;
DROP INDEX grid_versions_county_id;
ALTER TABLE grid_versions DROP COLUMN county_code;
