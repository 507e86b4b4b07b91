-- +goose Up
-- cases.h3_cell: the H3 cell (resolution 10) of the case's location, filled
-- in Go by the analytics service (PostgreSQL here has no h3 extension) for
-- cases that lack one; a location never changes after intake. Hot spots
-- count cases by cell, month and category over a period: the covering
-- index lets that GROUP BY read the index alone (an index-only scan on a
-- vacuumed table) instead of every case row.
ALTER TABLE cases ADD COLUMN h3_cell bigint;
CREATE INDEX cases_reported_cell ON cases (reported_at) INCLUDE (h3_cell, status, category_code);

-- +goose Down
DROP INDEX cases_reported_cell;
ALTER TABLE cases DROP COLUMN h3_cell;
