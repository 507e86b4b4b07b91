-- +goose Up
-- Field duties (issue 18, part two): inspections on versioned checklist
-- templates, the other grid forces (volunteers, informants, community
-- police, department liaisons) with their reports, ratings and the police
-- rota, training sessions and meetings, leave and rest days.

-- A checklist template is versioned: an edit stores a new row with the next
-- version of the same code; an inspection keeps the id of the row it used,
-- so its items can always be read as they were asked.
CREATE TABLE inspection_templates (
    id          bigserial PRIMARY KEY,
    code        text NOT NULL CHECK (code ~ '^[a-z0-9_]{1,64}$'),
    version     int NOT NULL CHECK (version >= 1),
    name        text NOT NULL CHECK (name <> ''),
    kind        text NOT NULL CHECK (kind IN ('business', 'place')),
    category    text NOT NULL,            -- the business or place type it applies to
    items       jsonb NOT NULL,           -- [{"code","text","category"}], validated by internal/inspection
    created_by  bigint NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL,
    UNIQUE (code, version)
);
CREATE INDEX inspection_templates_type ON inspection_templates (kind, category, version DESC);

-- An inspection of a business or place on a date; results per item.
-- (inspector_id, idem_key) makes POST /api/v1/inspections idempotent.
CREATE TABLE inspections (
    id            bigserial PRIMARY KEY,
    record_id     bigint NOT NULL REFERENCES register_records (id) ON DELETE RESTRICT,
    template_id   bigint NOT NULL REFERENCES inspection_templates (id),
    inspected_on  date NOT NULL,
    inspector_id  bigint NOT NULL REFERENCES users (id),
    grid_code     text,
    results       jsonb NOT NULL,         -- [{"item","ok","note","photos"}]
    note          text NOT NULL DEFAULT '',
    idem_key      text CHECK (idem_key IS NULL OR length(idem_key) BETWEEN 1 AND 200),
    request_hash  bytea,
    created_at    timestamptz NOT NULL,
    UNIQUE (inspector_id, idem_key)
);
CREATE INDEX inspections_record ON inspections (record_id, inspected_on DESC);
CREATE INDEX inspections_grid ON inspections (grid_code, inspected_on DESC);

-- The one case a failed item opened.
CREATE TABLE inspection_cases (
    inspection_id bigint NOT NULL REFERENCES inspections (id),
    item          text NOT NULL,
    case_id       bigint NOT NULL UNIQUE REFERENCES cases (id),
    PRIMARY KEY (inspection_id, item)
);

-- The other grid forces as login roles; their reports carry their source.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'center', 'department', 'worker', 'viewer', 'volunteer', 'informant', 'police', 'liaison'));
ALTER TABLE cases DROP CONSTRAINT cases_source_check;
ALTER TABLE cases ADD CONSTRAINT cases_source_check
    CHECK (source IN ('worker_app', 'hotline_12345', 'wechat', 'online', 'public', 'video', 'inspector',
                      'volunteer', 'informant', 'police', 'liaison', 'inspection'));

-- Community police rota: who is on which shift of which day in a community.
CREATE TABLE police_shifts (
    id             bigserial PRIMARY KEY,
    community_code text NOT NULL,
    shift_on       date NOT NULL,
    shift          int NOT NULL CHECK (shift BETWEEN 1 AND 9),
    user_id        bigint NOT NULL REFERENCES users (id),
    created_at     timestamptz NOT NULL,
    UNIQUE (community_code, shift_on, shift, user_id)
);
CREATE INDEX police_shifts_day ON police_shifts (community_code, shift_on);

-- Training sessions with attendance and exam scores.
CREATE TABLE training_sessions (
    id          bigserial PRIMARY KEY,
    title       text NOT NULL CHECK (title <> ''),
    held_on     date NOT NULL,
    hours       numeric(4, 1) NOT NULL CHECK (hours > 0),
    pass_mark   numeric(5, 1) NOT NULL CHECK (pass_mark >= 0),
    scope_code  text,                    -- the grid subtree it was held for; NULL: everyone
    created_by  bigint NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL
);
CREATE TABLE training_attendance (
    session_id bigint NOT NULL REFERENCES training_sessions (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id),
    attended   boolean NOT NULL,
    score      numeric(5, 1),
    PRIMARY KEY (session_id, user_id)
);

-- Meetings (weekly party-group and grid meetings, monthly dispatch meeting).
CREATE TABLE meetings (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('party_group', 'grid', 'dispatch')),
    held_on     date NOT NULL,
    grid_code   text,
    title       text NOT NULL DEFAULT '',
    minutes     text NOT NULL DEFAULT '',
    attendees   bigint[] NOT NULL DEFAULT '{}',
    created_by  bigint NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL
);
CREATE INDEX meetings_held ON meetings (held_on DESC);

-- Leave and rest days, approved by the center.
CREATE TABLE leave_requests (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id),
    kind        text NOT NULL CHECK (kind IN ('leave', 'rest')),
    from_date   date NOT NULL,
    to_date     date NOT NULL CHECK (to_date >= from_date),
    reason      text NOT NULL DEFAULT '',
    status      text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    version     int NOT NULL DEFAULT 1,
    decided_by  bigint REFERENCES users (id),
    decided_at  timestamptz,
    idem_key    text CHECK (idem_key IS NULL OR length(idem_key) BETWEEN 1 AND 200),
    request_hash bytea,
    created_by  bigint NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL,
    UNIQUE (created_by, idem_key)
);
CREATE INDEX leave_requests_user ON leave_requests (user_id, from_date);

-- Licence expiry reminders in the inbox (notifications of kind licence).
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('due_soon', 'overdue', 'escalated', 'digest', 'mention', 'licence'));

-- +goose Down
DELETE FROM notifications WHERE kind = 'licence';
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('due_soon', 'overdue', 'escalated', 'digest', 'mention'));
DROP TABLE leave_requests, meetings, training_attendance, training_sessions, police_shifts,
    inspection_cases, inspections, inspection_templates;
DELETE FROM users WHERE role IN ('volunteer', 'informant', 'police', 'liaison');
ALTER TABLE cases DROP CONSTRAINT cases_source_check;
ALTER TABLE cases ADD CONSTRAINT cases_source_check
    CHECK (source IN ('worker_app', 'hotline_12345', 'wechat', 'online', 'public', 'video', 'inspector'));
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'center', 'department', 'worker', 'viewer'));
