-- +goose Up
-- case_cells: the H3 cell (resolution 10) of each case's location, filled
-- in Go by the analytics service (PostgreSQL here has no h3 extension) for
-- cases that lack one, so that hot spots count cases by cell with a plain
-- GROUP BY. A case's location never changes after intake.
CREATE TABLE case_cells (
    case_id bigint PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
    cell    bigint NOT NULL
);

-- +goose Down
DROP TABLE case_cells;
