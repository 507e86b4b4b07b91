-- +goose Up
-- Stage clocks (casework/clock.go): every open case is in a stage with a
-- deadline (due_at, now also for the center's review), the instant it turns
-- yellow (warn_at) and its reminder is due (remind_at). Rows written before
-- this migration have stage NULL until the clock job fills them in.
ALTER TABLE cases
    ADD COLUMN review_due  timestamptz,
    ADD COLUMN stage       text CHECK (stage IN ('review', 'accept', 'handle', 'verify')),
    ADD COLUMN stage_since timestamptz,
    ADD COLUMN warn_at     timestamptz,
    ADD COLUMN remind_at   timestamptz;
CREATE INDEX cases_open_due ON cases (due_at) WHERE status NOT IN ('rejected', 'closed', 'merged');
CREATE INDEX cases_open_remind ON cases (remind_at) WHERE status NOT IN ('rejected', 'closed', 'merged') AND remind_at IS NOT NULL;
-- escalated_units: the upper units an overdue unit stage was escalated to
-- (they may read the case); routing_rules.upper_unit names a rule's lead
-- unit's upper unit.
ALTER TABLE cases ADD COLUMN escalated_units text[] NOT NULL DEFAULT '{}';
ALTER TABLE routing_rules ADD COLUMN upper_unit text REFERENCES departments (code);
CREATE INDEX cases_unstaged ON cases (id) WHERE stage IS NULL AND status NOT IN ('rejected', 'closed', 'merged');

-- The editable clock settings (GET/PUT /api/v1/deadlines): one row, JSON
-- validated by casework.ClockSettings.Validate; no row means the defaults.
CREATE TABLE clock_settings (
    id         int PRIMARY KEY CHECK (id = 1),
    settings   jsonb NOT NULL,
    updated_at timestamptz NOT NULL
);

-- What the clock job did, once per case, kind and stage occurrence (the
-- stage and when it began): the primary key makes a reminder or an
-- escalation happen once however many instances run the job, and the row is
-- written in the transaction of its effects.
CREATE TABLE case_clock_marks (
    case_id     bigint NOT NULL REFERENCES cases (id),
    kind        text NOT NULL CHECK (kind IN ('due_soon', 'overdue', 'escalated')),
    stage       text NOT NULL,
    stage_since timestamptz NOT NULL,
    at          timestamptz NOT NULL,
    to_scope    text,            -- escalated: the grid code of the center above
    to_unit     text,            -- escalated: the upper unit, if any
    PRIMARY KEY (case_id, kind, stage, stage_since)
);
CREATE INDEX case_clock_marks_scope ON case_clock_marks (to_scope) WHERE kind = 'escalated';

-- Stored notifications of the inbox: reminders, escalations, digests,
-- mentions. The text is rendered from the message catalogue (internal/msg)
-- in the reader's language from msg_key and args. dedup_key makes each
-- notification once per user.
CREATE TABLE notifications (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id),
    kind       text NOT NULL CHECK (kind IN ('due_soon', 'overdue', 'escalated', 'digest', 'mention')),
    case_id    bigint REFERENCES cases (id),
    msg_key    text NOT NULL,
    args       jsonb NOT NULL DEFAULT '[]',
    dedup_key  text NOT NULL,
    created_at timestamptz NOT NULL,
    read_at    timestamptz,
    UNIQUE (user_id, dedup_key)
);
CREATE INDEX notifications_user ON notifications (user_id, id DESC);
-- Timeline comments that may mention someone (@username), for the clock
-- job's mention notices.
CREATE INDEX case_events_mentions ON case_events (at) WHERE comment LIKE '%@%';

-- The clock job's last run: a case whose light changed since then (warn_at
-- or due_at passed) makes the job bump the cases map layer.
CREATE TABLE clock_runs (
    id     int PRIMARY KEY CHECK (id = 1),
    last_at timestamptz NOT NULL
);

-- +goose Down
DROP INDEX case_events_mentions;
DROP TABLE clock_runs, notifications, case_clock_marks, clock_settings;
DROP INDEX cases_unstaged;
DROP INDEX cases_open_remind;
DROP INDEX cases_open_due;
ALTER TABLE routing_rules DROP COLUMN upper_unit;
ALTER TABLE cases DROP COLUMN escalated_units;
ALTER TABLE cases DROP COLUMN remind_at, DROP COLUMN warn_at, DROP COLUMN stage_since, DROP COLUMN stage, DROP COLUMN review_due;
