-- +goose Up
-- The province database: what each city publishes (migration 00034 of the
-- city schema, `gridd province publish`), keyed by (county_code, id). The
-- columns are exactly the publication's column lists; a subscription
-- fails loudly when a published column is missing here. Only the
-- subscriptions write these tables; gridd reads them.
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE grid_versions (
    county_code text NOT NULL,
    id          bigint NOT NULL,
    code        text NOT NULL,
    name        text NOT NULL,
    level       int NOT NULL,
    parent_code text,
    geom        geometry(MultiPolygon, 4326) NOT NULL,
    area_m2     double precision NOT NULL,
    households  int NOT NULL,
    population  int NOT NULL,
    version     int NOT NULL,
    valid_from  timestamptz NOT NULL,
    valid_to    timestamptz,
    PRIMARY KEY (county_code, id)
);
CREATE INDEX grid_versions_current ON grid_versions (county_code, code) WHERE valid_to IS NULL;
CREATE INDEX grid_versions_geom ON grid_versions USING gist (geom) WHERE valid_to IS NULL;

CREATE TABLE cases (
    county_code      text NOT NULL,
    id               bigint NOT NULL,
    number           text NOT NULL,
    category_code    text NOT NULL,
    source           text NOT NULL,
    geom             geometry(Point, 4326) NOT NULL,
    reported_at      timestamptz NOT NULL,
    grid_code        text,
    status           text NOT NULL,
    emergency        boolean NOT NULL,
    resolved_on_site boolean NOT NULL,
    lead_unit        text,
    accepted_at      timestamptz,
    closed_at        timestamptz,
    due_at           timestamptz,
    handled_on_time  boolean,
    h3_cell          bigint,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (county_code, id)
);
CREATE INDEX cases_reported ON cases (reported_at) INCLUDE (county_code, status, h3_cell, category_code);
CREATE INDEX cases_geom ON cases USING gist (geom);

CREATE TABLE assessment_months (
    county_code text NOT NULL,
    month       text NOT NULL,
    version     int NOT NULL,
    workers     int NOT NULL,
    qualified   int NOT NULL,
    vetoed      int NOT NULL,
    total_sum   double precision NOT NULL,
    total_min   double precision,
    total_max   double precision,
    computed_at timestamptz NOT NULL,
    PRIMARY KEY (county_code, month)
);

-- +goose Down
DROP TABLE assessment_months;
DROP TABLE cases;
DROP TABLE grid_versions;
