-- +goose Up
-- Patrols (巡查), see internal/patrol.

-- GPS fixes in WGS84, one row per (worker, t): a re-sent fix is stored once.
-- Partitioned by month (Asia/Shanghai months); the store creates the
-- partitions of the months it writes (patrol_points_yYYYYmMM).
CREATE TABLE patrol_points (
    worker_id   bigint NOT NULL REFERENCES users (id),
    t           timestamptz NOT NULL,
    lon         double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    lat         double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    accuracy_m  real NOT NULL DEFAULT 0 CHECK (accuracy_m >= 0),
    speed_mps   real NOT NULL DEFAULT 0 CHECK (speed_mps >= 0),
    received_at timestamptz NOT NULL,
    PRIMARY KEY (worker_id, t)
) PARTITION BY RANGE (t);

-- Days whose fixes changed since they were computed; seq orders the marks.
CREATE SEQUENCE patrol_dirty_seq;
CREATE TABLE patrol_dirty_days (
    worker_id bigint NOT NULL REFERENCES users (id),
    day       date   NOT NULL,
    seq       bigint NOT NULL,
    PRIMARY KEY (worker_id, day)
);

-- A worker's day: totals over its own grids and the cleaning counts.
CREATE TABLE patrol_days (
    worker_id        bigint NOT NULL REFERENCES users (id),
    day              date   NOT NULL,
    fixes            int    NOT NULL,
    valid            int    NOT NULL,
    flagged          jsonb  NOT NULL DEFAULT '{}',
    patrol_s         double precision NOT NULL,
    distance_m       double precision NOT NULL,
    track_distance_m double precision NOT NULL,
    patrolled        boolean NOT NULL,
    computed_at      timestamptz NOT NULL,
    PRIMARY KEY (worker_id, day)
);

-- A worker's day in one of its grids; cover is the bit set of covered
-- coverage cells of that grid version (spatial/coverage).
CREATE TABLE patrol_day_grids (
    worker_id    bigint NOT NULL,
    day          date   NOT NULL,
    grid_code    text   NOT NULL,
    grid_version int    NOT NULL,
    patrol_s     double precision NOT NULL,
    distance_m   double precision NOT NULL,
    coverage     double precision NOT NULL CHECK (coverage BETWEEN 0 AND 1),
    full_patrol  boolean NOT NULL,
    cells        int    NOT NULL,
    cover        bytea  NOT NULL,
    PRIMARY KEY (worker_id, day, grid_code),
    FOREIGN KEY (worker_id, day) REFERENCES patrol_days (worker_id, day) ON DELETE CASCADE
);

-- A worker's month in one of its grids, as last audited.
CREATE TABLE patrol_months (
    worker_id     bigint NOT NULL REFERENCES users (id),
    month         date   NOT NULL CHECK (extract(day FROM month) = 1),
    grid_code     text   NOT NULL,
    days          int    NOT NULL,
    days_patrolled int   NOT NULL,
    days_under    int    NOT NULL,
    full_days     int    NOT NULL,
    patrol_s      double precision NOT NULL,
    distance_m    double precision NOT NULL,
    coverage      double precision NOT NULL CHECK (coverage BETWEEN 0 AND 1),
    coverage_met  boolean NOT NULL,
    cells         int    NOT NULL,
    cover         bytea  NOT NULL,
    computed_at   timestamptz NOT NULL,
    PRIMARY KEY (worker_id, month, grid_code)
);

-- 关键点位: points that must be visited daily or weekly.
CREATE TABLE checkpoints (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL CHECK (name <> ''),
    kind       text NOT NULL DEFAULT '',
    geom       geometry(Point, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    frequency  text NOT NULL CHECK (frequency IN ('daily', 'weekly')),
    radius_m   double precision NOT NULL CHECK (radius_m > 0 AND radius_m <= 500),
    grid_code  text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX checkpoints_geom ON checkpoints USING gist (geom);

-- A worker's pass of a checkpoint on a day, derived from the track.
CREATE TABLE checkpoint_visits (
    checkpoint_id bigint NOT NULL REFERENCES checkpoints (id) ON DELETE CASCADE,
    worker_id     bigint NOT NULL REFERENCES users (id),
    day           date   NOT NULL,
    first_at      timestamptz NOT NULL,
    fixes         int    NOT NULL,
    PRIMARY KEY (checkpoint_id, worker_id, day)
);
CREATE INDEX checkpoint_visits_day ON checkpoint_visits (day);

INSERT INTO layer_revisions (layer) VALUES ('checkpoints') ON CONFLICT DO NOTHING;

-- +goose Down
DELETE FROM layer_revisions WHERE layer = 'checkpoints';
DROP TABLE checkpoint_visits, checkpoints, patrol_months, patrol_day_grids, patrol_days, patrol_dirty_days, patrol_points;
DROP SEQUENCE patrol_dirty_seq;
