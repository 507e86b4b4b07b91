-- +goose Up
-- Base registers (基础信息: 人、地、物、事、组织), see internal/registers.
-- One table for every kind: the shared columns are typed, the kind's own
-- attributes (licences, safety checklist, building flags) live in attrs,
-- validated by the domain package. grid_code is assigned from point by
-- the point-in-grid index; NULL means outside every grid (a coverage gap).
-- A person has no location of its own: it follows its household.
CREATE TABLE register_records (
    id            bigserial PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('household', 'person', 'building', 'business', 'place', 'organisation')),
    name          text NOT NULL DEFAULT '',
    address       text NOT NULL DEFAULT '',
    category      text NOT NULL DEFAULT '',
    geom          geometry(Geometry, 4326)
                  CHECK (geom IS NULL OR (ST_IsValid(geom) AND GeometryType(geom) IN ('POINT', 'POLYGON', 'MULTIPOLYGON'))),
    point         geometry(Point, 4326),
    grid_code     text,
    household_id  bigint REFERENCES register_records (id) ON DELETE RESTRICT,
    size          int CHECK (size IS NULL OR size >= 0),
    phone         text NOT NULL DEFAULT '',
    id_number_enc bytea,
    id_number_mask text NOT NULL DEFAULT '',
    tags          text[] NOT NULL DEFAULT '{}',
    attrs         jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CHECK ((kind = 'person') = (household_id IS NOT NULL)),
    CHECK (kind = 'person' OR point IS NOT NULL),
    CHECK (kind <> 'person' OR geom IS NULL)
);
CREATE INDEX register_records_kind_grid ON register_records (kind, grid_code, id);
CREATE INDEX register_records_grid ON register_records (grid_code);
CREATE INDEX register_records_household ON register_records (household_id) WHERE household_id IS NOT NULL;
CREATE INDEX register_records_point ON register_records USING gist (point);
CREATE INDEX register_records_tags ON register_records USING gin (tags);

-- Explicit permissions beyond the role, e.g. 'keyperson:unmask'.
ALTER TABLE users ADD COLUMN permissions text[] NOT NULL DEFAULT '{}';

-- 重点人员: one person one file, one file one responsible person. ID
-- numbers, diagnoses and case notes are AES-256-GCM ciphertext (the key is
-- outside the database); *_mask columns hold the masked display form.
CREATE TABLE key_persons (
    id                  bigserial PRIMARY KEY,
    category            text NOT NULL CHECK (category IN ('community_correction', 'released_prisoner', 'drug_user',
                            'severe_mental_illness', 'petitioner', 'juvenile_offender', 'other')),
    name                text NOT NULL CHECK (name <> ''),
    address             text NOT NULL DEFAULT '',
    point               geometry(Point, 4326),
    grid_code           text,
    resident_id         bigint REFERENCES register_records (id) ON DELETE SET NULL,
    responsible_user_id bigint NOT NULL REFERENCES users (id),
    risk_level          text NOT NULL DEFAULT 'normal' CHECK (risk_level IN ('low', 'normal', 'high')),
    id_number_enc       bytea NOT NULL,
    id_number_mask      text NOT NULL,
    diagnosis_enc       bytea,
    case_notes_enc      bytea,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    CHECK (point IS NOT NULL OR grid_code IS NOT NULL)
);
CREATE INDEX key_persons_grid ON key_persons (grid_code, id);
CREATE INDEX key_persons_responsible ON key_persons (responsible_user_id);

CREATE TABLE key_person_visits (
    id            bigserial PRIMARY KEY,
    key_person_id bigint NOT NULL REFERENCES key_persons (id) ON DELETE CASCADE,
    visited_on    date NOT NULL,
    visitor_id    bigint NOT NULL REFERENCES users (id),
    notes_enc     bytea,
    created_at    timestamptz NOT NULL
);
CREATE INDEX key_person_visits_person ON key_person_visits (key_person_id, visited_on);

-- +goose Down
DROP TABLE key_person_visits, key_persons, register_records;
ALTER TABLE users DROP COLUMN permissions;
