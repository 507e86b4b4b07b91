-- +goose Up
-- Per-grid choice of what patrol coverage measures: the grid's area (the
-- default) or the road network inside it (the roads layer, optionally only
-- some kinds of road). A change marks the grid's stored days dirty (in the
-- store, in the same transaction).
CREATE TABLE patrol_grid_options (
    grid_code  text PRIMARY KEY,
    measure    text NOT NULL CHECK (measure IN ('area', 'roads')),
    road_kinds text[] NOT NULL DEFAULT '{}',
    updated_by bigint REFERENCES users (id),
    updated_at timestamptz NOT NULL
);
-- What each stored grid day measured.
ALTER TABLE patrol_day_grids ADD COLUMN measure text NOT NULL DEFAULT 'area' CHECK (measure IN ('area', 'roads'));

-- +goose Down
ALTER TABLE patrol_day_grids DROP COLUMN measure;
DROP TABLE patrol_grid_options;
