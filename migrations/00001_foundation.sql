-- +goose Up
CREATE EXTENSION IF NOT EXISTS postgis;

-- Grid registry: every edit closes the current version and opens a new one.
CREATE TABLE grid_versions (
    id          bigserial PRIMARY KEY,
    code        text        NOT NULL CHECK (code ~ '^[0-9]{15}$'),
    name        text        NOT NULL CHECK (name <> ''),
    level       int         NOT NULL CHECK (level >= 1),
    parent_code text        CHECK (parent_code IS NULL OR parent_code ~ '^[0-9]{15}$'),
    geom        geometry(MultiPolygon, 4326) NOT NULL
                CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
    area_m2     double precision NOT NULL CHECK (area_m2 > 0),
    households  int NOT NULL DEFAULT 0 CHECK (households >= 0),
    population  int NOT NULL DEFAULT 0 CHECK (population >= 0),
    version     int         NOT NULL CHECK (version >= 1),
    valid_from  timestamptz NOT NULL,
    valid_to    timestamptz CHECK (valid_to IS NULL OR valid_to > valid_from),
    UNIQUE (code, version)
);
CREATE UNIQUE INDEX grid_versions_current ON grid_versions (code) WHERE valid_to IS NULL;
CREATE INDEX grid_versions_parent ON grid_versions (parent_code) WHERE valid_to IS NULL;
CREATE INDEX grid_versions_geom ON grid_versions USING gist (geom);
CREATE INDEX grid_versions_level ON grid_versions (level, code) WHERE valid_to IS NULL;

-- Bumped on every committed change of a layer, so caches and the in-process
-- index can tell they are stale.
CREATE TABLE layer_revisions (
    layer    text PRIMARY KEY,
    revision bigint NOT NULL DEFAULT 0,
    changed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO layer_revisions (layer) VALUES ('grids'), ('zones'), ('roads');

-- 职能单位: the departments cases are routed to.
CREATE TABLE departments (
    code text PRIMARY KEY CHECK (code ~ '^[a-z0-9_-]{1,40}$'),
    name text NOT NULL CHECK (name <> ''),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id              bigserial PRIMARY KEY,
    username        text NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9_.-]{1,64}$'),
    name            text NOT NULL,
    phone           text NOT NULL DEFAULT '',
    role            text NOT NULL CHECK (role IN ('admin', 'center', 'department', 'worker', 'viewer')),
    department_code text REFERENCES departments (code),
    scope_code      text,           -- root of the grid subtree for center and viewer
    password_hash   text,           -- NULL: cannot log in
    disabled        boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (role <> 'department' OR department_code IS NOT NULL)
);

-- Who held which role in which grid, when. valid_to is exclusive.
CREATE TABLE grid_assignments (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id),
    grid_code  text NOT NULL,
    grid_role  text NOT NULL CHECK (grid_role IN ('head', 'worker', 'party_leader',
                   'supervising_leader', 'supervising_cadre', 'volunteer')),
    full_time  boolean NOT NULL DEFAULT true,
    valid_from date NOT NULL,
    valid_to   date CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE INDEX grid_assignments_grid ON grid_assignments (grid_code, valid_from);
CREATE INDEX grid_assignments_user ON grid_assignments (user_id, valid_from);

CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_failures (
    username text NOT NULL,
    at       timestamptz NOT NULL
);
CREATE INDEX login_failures_username ON login_failures (username, at);

-- Routing layers used by later issues; the demo loads them.
CREATE TABLE zones (
    id   bigserial PRIMARY KEY,
    code text NOT NULL UNIQUE,
    name text NOT NULL,
    kind text NOT NULL,
    geom geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom))
);
CREATE INDEX zones_geom ON zones USING gist (geom);

CREATE TABLE roads (
    id   bigserial PRIMARY KEY,
    code text NOT NULL UNIQUE,
    name text NOT NULL,
    kind text NOT NULL,
    geom geometry(LineString, 4326) NOT NULL CHECK (ST_IsValid(geom))
);
CREATE INDEX roads_geom ON roads USING gist (geom);

-- +goose Down
DROP TABLE roads, zones, login_failures, sessions, grid_assignments, users, departments,
    layer_revisions, grid_versions;
