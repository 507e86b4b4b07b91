-- +goose Up
-- Patrol storage at city scale (internal/postgis/patrol_partition.go).
--
-- patrol_points has been partitioned by Asia/Shanghai month since 00004,
-- each partition created by the store before it writes a month. The
-- default partition catches a fix whose month has no partition yet (a
-- direct load, a race with `gridd patrols archive`); creating that month's
-- partition later moves its rows out of the default (the store does it in
-- one transaction). Rows already stored stay in their monthly partitions:
-- nothing is moved by this migration.
CREATE TABLE patrol_points_default PARTITION OF patrol_points DEFAULT;

-- Months whose fixes were detached by `gridd patrols archive`: their days
-- and months stay as computed and are never recomputed from fixes again,
-- and fixes for them are refused.
CREATE TABLE patrol_archives (
    month       date PRIMARY KEY CHECK (extract(day FROM month) = 1),
    -- The detached table (schema patrol_archive) or '' when dropped.
    detached    text NOT NULL,
    -- The gzip CSV the fixes were written to, or '' when none.
    file        text NOT NULL,
    fixes       bigint NOT NULL CHECK (fixes >= 0),
    archived_at timestamptz NOT NULL
);
CREATE SCHEMA patrol_archive;

-- A fix routed to the default partition for an archived month is refused
-- (an instance whose partition cache predates the archive would otherwise
-- store it there, unseen). Months are Asia/Shanghai months, as the store's.
-- +goose StatementBegin
CREATE FUNCTION patrol_points_default_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM patrol_archives
               WHERE month = date_trunc('month', NEW.t AT TIME ZONE 'Asia/Shanghai')::date) THEN
        RAISE EXCEPTION 'patrol month % is archived', to_char(NEW.t AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')
            USING ERRCODE = 'check_violation', CONSTRAINT = 'patrol_month_archived';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER patrol_points_default_check BEFORE INSERT ON patrol_points_default
    FOR EACH ROW EXECUTE FUNCTION patrol_points_default_check();

-- +goose Down
DROP SCHEMA patrol_archive CASCADE;
DROP TABLE patrol_archives;
DROP TABLE patrol_points_default;
DROP FUNCTION patrol_points_default_check();
