-- +goose Up
-- The case list (internal/postgis/case_filter.go): keyset paging over
-- (reported_at, id) and (stage deadline, id), case-number prefixes, and
-- keywords in the description (pg_trgm, a trusted contrib extension).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX cases_reported_id ON cases (reported_at, id);
CREATE INDEX cases_stage_due_id ON cases ((CASE WHEN status NOT IN ('rejected', 'closed', 'merged') THEN coalesce(due_at, 'infinity') ELSE 'infinity' END), id);
CREATE INDEX cases_number_prefix ON cases (number text_pattern_ops);
CREATE INDEX cases_description_trgm ON cases USING gin (description gin_trgm_ops);

-- +goose Down
DROP INDEX cases_description_trgm;
DROP INDEX cases_number_prefix;
DROP INDEX cases_stage_due_id;
DROP INDEX cases_reported_id;
