-- +goose Up
-- Routing layers are versioned like grids: a zone or road section keeps
-- its row while an import leaves it unchanged; a changed or removed one
-- moves to layer_versions with the interval it was valid
-- [valid_from, valid_to), and a changed or new one starts a new version.
-- The layer as of an instant is the current rows valid from before it
-- plus the ended versions valid at it. Rows present before this migration
-- count as valid from the migration.
ALTER TABLE zones ADD COLUMN version int NOT NULL DEFAULT 1 CHECK (version >= 1),
                  ADD COLUMN valid_from timestamptz NOT NULL DEFAULT now();
ALTER TABLE roads ADD COLUMN version int NOT NULL DEFAULT 1 CHECK (version >= 1),
                  ADD COLUMN valid_from timestamptz NOT NULL DEFAULT now();

CREATE TABLE layer_versions (
    id         bigserial PRIMARY KEY,
    layer      text NOT NULL CHECK (layer IN ('zones', 'roads')),
    code       text NOT NULL,
    name       text NOT NULL,
    kind       text NOT NULL,
    unit_code  text,
    geom       geometry(Geometry, 4326) NOT NULL
               CHECK (ST_IsValid(geom) AND GeometryType(geom) IN ('MULTIPOLYGON', 'LINESTRING')),
    version    int NOT NULL CHECK (version >= 1),
    valid_from timestamptz NOT NULL,
    valid_to   timestamptz NOT NULL CHECK (valid_to > valid_from),
    UNIQUE (layer, code, version)
);
CREATE INDEX layer_versions_valid ON layer_versions (layer, valid_from, valid_to);

-- +goose Down
DROP TABLE layer_versions;
ALTER TABLE roads DROP COLUMN valid_from, DROP COLUMN version;
ALTER TABLE zones DROP COLUMN valid_from, DROP COLUMN version;
