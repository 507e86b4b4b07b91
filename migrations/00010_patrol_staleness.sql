-- +goose Up
-- Stored patrol days go stale when what they were computed from changes
-- other than the fixes (which mark their days dirty at intake):
--   * the rules (thresholds, radius, cell resolution) — each day keeps the
--     fingerprint of the rules it was computed with, and the service marks
--     days with another fingerprint dirty when it starts;
--   * the grids — a day keeps each grid's version; the service marks days
--     whose version is no longer the one valid at the day's end dirty after
--     every committed grid change (patrol.Service.MarkStale);
--   * the assignments — which grids a worker's day counts in; the trigger
--     below marks the days an assignment change covers dirty, in the same
--     transaction as the change.
ALTER TABLE patrol_days ADD COLUMN rules text NOT NULL DEFAULT '';

-- +goose StatementBegin
CREATE FUNCTION patrol_assignments_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO patrol_dirty_days (worker_id, day, seq)
        SELECT worker_id, day, nextval('patrol_dirty_seq') FROM (
            SELECT DISTINCT d.worker_id, d.day FROM patrol_days d JOIN new_rows a ON d.worker_id = a.user_id
            WHERE a.grid_role = 'worker' AND d.day >= a.valid_from AND (a.valid_to IS NULL OR d.day < a.valid_to)) s
        ON CONFLICT (worker_id, day) DO UPDATE SET seq = EXCLUDED.seq;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO patrol_dirty_days (worker_id, day, seq)
        SELECT worker_id, day, nextval('patrol_dirty_seq') FROM (
            SELECT DISTINCT d.worker_id, d.day FROM patrol_days d JOIN old_rows a ON d.worker_id = a.user_id
            WHERE a.grid_role = 'worker' AND d.day >= a.valid_from AND (a.valid_to IS NULL OR d.day < a.valid_to)) s
        ON CONFLICT (worker_id, day) DO UPDATE SET seq = EXCLUDED.seq;
    ELSE
        INSERT INTO patrol_dirty_days (worker_id, day, seq)
        SELECT worker_id, day, nextval('patrol_dirty_seq') FROM (
            SELECT DISTINCT d.worker_id, d.day FROM patrol_days d
            JOIN (SELECT user_id, grid_role, valid_from, valid_to FROM new_rows
                  UNION ALL SELECT user_id, grid_role, valid_from, valid_to FROM old_rows) a ON d.worker_id = a.user_id
            WHERE a.grid_role = 'worker' AND d.day >= a.valid_from AND (a.valid_to IS NULL OR d.day < a.valid_to)) s
        ON CONFLICT (worker_id, day) DO UPDATE SET seq = EXCLUDED.seq;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER grid_assignments_patrol_ins AFTER INSERT ON grid_assignments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION patrol_assignments_dirty();
CREATE TRIGGER grid_assignments_patrol_upd AFTER UPDATE ON grid_assignments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION patrol_assignments_dirty();
CREATE TRIGGER grid_assignments_patrol_del AFTER DELETE ON grid_assignments
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION patrol_assignments_dirty();

-- +goose Down
DROP TRIGGER grid_assignments_patrol_del ON grid_assignments;
DROP TRIGGER grid_assignments_patrol_upd ON grid_assignments;
DROP TRIGGER grid_assignments_patrol_ins ON grid_assignments;
DROP FUNCTION patrol_assignments_dirty();
ALTER TABLE patrol_days DROP COLUMN rules;
