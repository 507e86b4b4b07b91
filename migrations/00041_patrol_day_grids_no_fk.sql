-- +goose Up
-- patrol_day_grids referenced patrol_days, so PostgreSQL looked up the
-- day's row once per grid row it inserted. Its plan for that look-up is
-- made once per connection; made while patrol_days is still small and
-- unanalysed (a new town's first month, a month-end settle of a city), it
-- is a sequential scan, and computing a month of days scanned the growing
-- table once per grid row (BENCHMARKS.md, "The city month: days written
-- set by set, patrol intake by a plain INSERT"). The reference cannot
-- dangle: patrol days are never deleted, and their grids are written only
-- by the store's SaveDays, in the same transaction as their day.
ALTER TABLE patrol_day_grids DROP CONSTRAINT patrol_day_grids_worker_id_day_fkey;

-- +goose Down
ALTER TABLE patrol_day_grids ADD CONSTRAINT patrol_day_grids_worker_id_day_fkey
    FOREIGN KEY (worker_id, day) REFERENCES patrol_days (worker_id, day) ON DELETE CASCADE;
