-- +goose Up
-- patrol_points is the city's busiest table (2,000-6,000 fixes/s for
-- 10,000-30,000 workers sending a fix every 5 s). Its foreign key to users
-- made PostgreSQL look up and key-share-lock the worker's users row once
-- per fix: 12-fix inserts alone ran at 0.65-0.80 of the rate without it,
-- patrol uploads through HTTP (durable) at 0.90-0.95 (BENCHMARKS.md,
-- "patrol_points without its foreign key"). Fixes
-- are only written by patrol intake for the authenticated worker, and users
-- are never deleted (they are disabled), so the reference cannot dangle.
ALTER TABLE patrol_points DROP CONSTRAINT patrol_points_worker_id_fkey;

-- +goose Down
ALTER TABLE patrol_points ADD CONSTRAINT patrol_points_worker_id_fkey
    FOREIGN KEY (worker_id) REFERENCES users (id);
