-- +goose Up
-- Field duties (issue 18): who answers for which household or place (包户到人),
-- the contact a district publishes for a person, visit schedules and visits,
-- and the worker's daily log (网格日志). See internal/responsibility,
-- internal/visits and internal/worklog.
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- A household, business or place answered for by one member of its grid's
-- "1+N" team over [valid_from, valid_to) (valid_to NULL: open-ended); one
-- member at a time per target.
CREATE TABLE responsibilities (
    id          bigserial PRIMARY KEY,
    target_kind text NOT NULL CHECK (target_kind IN ('household', 'business', 'place')),
    target_id   bigint NOT NULL REFERENCES register_records (id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users (id),
    grid_code   text NOT NULL,
    valid_from  date NOT NULL,
    valid_to    date,
    created_by  bigint REFERENCES users (id),
    created_at  timestamptz NOT NULL,
    CHECK (valid_to IS NULL OR valid_to > valid_from),
    CONSTRAINT responsibilities_one_at_a_time EXCLUDE USING gist (target_id WITH =, daterange(valid_from, valid_to) WITH &&)
);
CREATE INDEX responsibilities_user ON responsibilities (user_id, valid_from);
CREATE INDEX responsibilities_grid ON responsibilities (grid_code, valid_from);

-- The contact the district chooses to publish for a person (the public
-- "who answers for this address" lookup shows it and nothing else).
CREATE TABLE public_contacts (
    user_id    bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    contact    text NOT NULL CHECK (length(contact) BETWEEN 1 AND 100),
    updated_by bigint REFERENCES users (id),
    updated_at timestamptz NOT NULL
);

-- How often each kind of target is visited; a key person's category may
-- have its own row ('' = every category of the kind).
CREATE TABLE visit_schedules (
    target_kind text NOT NULL CHECK (target_kind IN ('household', 'business', 'place', 'key_person')),
    category    text NOT NULL DEFAULT '',
    every       int NOT NULL CHECK (every BETWEEN 1 AND 366),
    unit        text NOT NULL CHECK (unit IN ('day', 'week', 'month')),
    PRIMARY KEY (target_kind, category)
);
INSERT INTO visit_schedules (target_kind, category, every, unit) VALUES
    ('household', '', 1, 'month'),
    ('business', '', 1, 'month'),
    ('place', '', 1, 'month'),
    ('key_person', '', 1, 'month'),
    ('key_person', 'community_correction', 1, 'week'),
    ('key_person', 'severe_mental_illness', 2, 'week'),
    ('key_person', 'other', 3, 'month');

-- A visit to a target, located where it was recorded; distance_m is from
-- the target's location (NULL: the target has none), on_site whether it was
-- within the tolerance (only on-site visits count as done). A retry under
-- the same Idempotency-Key (per visitor) answers with the first visit.
CREATE TABLE visits (
    id              bigserial PRIMARY KEY,
    target_kind     text NOT NULL CHECK (target_kind IN ('household', 'business', 'place', 'key_person')),
    target_id       bigint NOT NULL,
    visitor_id      bigint NOT NULL REFERENCES users (id),
    grid_code       text NOT NULL DEFAULT '',
    visited_at      timestamptz NOT NULL,
    visited_on      date NOT NULL,
    point           geometry(Point, 4326) NOT NULL,
    distance_m      double precision CHECK (distance_m IS NULL OR distance_m >= 0),
    on_site         boolean NOT NULL,
    notes           text NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
    photo_ids       bigint[] NOT NULL DEFAULT '{}',
    idempotency_key text CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    request_hash    bytea,
    created_at      timestamptz NOT NULL
);
CREATE INDEX visits_target ON visits (target_kind, target_id, visited_on);
CREATE INDEX visits_visitor ON visits (visitor_id, visited_on);
CREATE INDEX visits_photos ON visits USING gin (photo_ids);
CREATE UNIQUE INDEX visits_idempotency ON visits (visitor_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- The daily grid log: one entry per worker and day (Asia/Shanghai), late
-- when first submitted after the day ended.
CREATE TABLE worklogs (
    user_id      bigint NOT NULL REFERENCES users (id),
    day          date NOT NULL,
    notes        text NOT NULL CHECK (length(notes) <= 4000),
    late         boolean NOT NULL,
    submitted_at timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    version      int NOT NULL DEFAULT 1 CHECK (version >= 1),
    PRIMARY KEY (user_id, day)
);

-- +goose Down
DROP TABLE worklogs, visits, visit_schedules, public_contacts, responsibilities;
