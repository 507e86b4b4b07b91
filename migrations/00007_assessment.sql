-- +goose Up
-- Monthly assessment (月考核), see internal/assessment: the records the
-- center enters (supervisory calls, surveys, findings), the rubric versions
-- and the assessment runs of each month (a correction adds a version; the
-- old ones are kept).

-- 电话督查: a supervisory call to a grid worker, answered or not.
CREATE TABLE assessment_calls (
    id         bigserial PRIMARY KEY,
    worker_id  bigint NOT NULL REFERENCES users (id),
    called_at  timestamptz NOT NULL,
    answered   boolean NOT NULL,
    note       text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    created_by bigint NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL
);
CREATE INDEX assessment_calls_time ON assessment_calls (called_at, worker_id);

-- 满意度测评: households surveyed at random in the worker's grid.
CREATE TABLE assessment_surveys (
    id          bigserial PRIMARY KEY,
    worker_id   bigint NOT NULL REFERENCES users (id),
    surveyed_on date NOT NULL,
    households  int NOT NULL CHECK (households BETWEEN 1 AND 1000),
    satisfied   int NOT NULL CHECK (satisfied >= 0 AND satisfied <= households),
    note        text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    created_by  bigint NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL
);
CREATE INDEX assessment_surveys_day ON assessment_surveys (surveyed_on, worker_id);

-- Spot checks (不熟悉), unresolved requests, late reports and inspectors'
-- findings (暗访发现长期未上报问题).
CREATE TABLE assessment_findings (
    id          bigserial PRIMARY KEY,
    worker_id   bigint NOT NULL REFERENCES users (id),
    kind        text NOT NULL CHECK (kind IN ('unfamiliar', 'unresolved_request', 'unresolved_serious', 'late_report', 'inspector_unreported')),
    found_on    date NOT NULL,
    case_number text CHECK (case_number IS NULL OR case_number ~ '^[0-9]{4}-[0-9]{2}-[0-9]{6}$'),
    note        text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    created_by  bigint NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL
);
CREATE INDEX assessment_findings_day ON assessment_findings (found_on, worker_id);

-- Every rubric version ever used; a version's document never changes.
CREATE TABLE assessment_rubrics (
    version    text PRIMARY KEY,
    rubric     jsonb NOT NULL,
    created_at timestamptz NOT NULL
);

-- One row per computed version of a month. results holds every worker's
-- score with its items and evidence; diff lists what changed from the
-- previous version.
CREATE TABLE assessment_runs (
    id             bigserial PRIMARY KEY,
    month          text NOT NULL CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    version        int NOT NULL CHECK (version >= 1),
    rubric_version text NOT NULL REFERENCES assessment_rubrics (version),
    rubric         jsonb NOT NULL,
    results        jsonb NOT NULL,
    departments    jsonb NOT NULL DEFAULT '[]',
    digest         text NOT NULL,
    diff           jsonb NOT NULL DEFAULT '[]',
    created_by     bigint REFERENCES users (id),
    created_at     timestamptz NOT NULL,
    UNIQUE (month, version)
);

-- +goose StatementBegin
CREATE FUNCTION assessment_runs_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'assessment_runs is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
-- +goose StatementEnd
CREATE TRIGGER assessment_runs_no_change BEFORE UPDATE OR DELETE ON assessment_runs
    FOR EACH ROW EXECUTE FUNCTION assessment_runs_append_only();

-- +goose Down
DROP TRIGGER assessment_runs_no_change ON assessment_runs;
DROP FUNCTION assessment_runs_append_only();
DROP TABLE assessment_runs, assessment_rubrics, assessment_findings, assessment_surveys, assessment_calls;
