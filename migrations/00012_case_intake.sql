-- +goose Up
-- gridd_fail aborts the statement that calls it, with reason as the
-- message: single-statement writes (case intake) use it to refuse part of
-- their input atomically, without a transaction round trip.
-- +goose StatementBegin
CREATE FUNCTION gridd_fail(reason text) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = reason;
END $$;
-- +goose StatementEnd

-- Layers written by frequent intakes (cases, patrol points) record their
-- changes after each commit with nextval() on a sequence of their own
-- instead of an UPDATE of their layer_revisions row: a sequence takes no
-- row lock, so concurrent intakes never queue on it. The layer's revision
-- token carries the sequence's last value (postgis.TileStore.Revisions).
CREATE SEQUENCE cases_layer_bumps;
CREATE SEQUENCE patrols_layer_bumps;

-- Case numbers: one sequence per month (case_numbers_YYYYMM), created on
-- the month's first case, starting after its counter row; see
-- postgis.CaseStore.allocateNumber.

-- The duplicate search filters by the geometry index (geom && a box
-- around the point) before measuring on the spheroid; the expression index
-- on geom::geography was never chosen and cost every intake an index
-- insert.
DROP INDEX cases_geog;

-- +goose Down
CREATE INDEX cases_geog ON cases USING gist ((geom::geography));
DROP SEQUENCE patrols_layer_bumps;
DROP SEQUENCE cases_layer_bumps;
DROP FUNCTION gridd_fail(text);
