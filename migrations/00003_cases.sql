-- +goose Up
-- Cases (事件/工单): taxonomy, routing rules, working-day calendar, cases with
-- their append-only timeline, uploads and idempotency keys.

-- Coded taxonomy in the manner of GB/T 30428: big class "NN", small class "NNMM".
CREATE TABLE case_categories (
    code        text PRIMARY KEY CHECK (code ~ '^[0-9]{2}([0-9]{2})?$'),
    parent_code text REFERENCES case_categories (code)
                CHECK ((length(code) = 2 AND parent_code IS NULL) OR (length(code) = 4 AND parent_code = left(code, 2))),
    name        text NOT NULL CHECK (name <> ''),
    name_en     text NOT NULL DEFAULT '',
    points      numeric(6,2) NOT NULL DEFAULT 1 CHECK (points >= 0),
    accept_days int NOT NULL DEFAULT 2 CHECK (accept_days BETWEEN 0 AND 60),
    handle_days int NOT NULL DEFAULT 5 CHECK (handle_days BETWEEN 0 AND 60),
    verify_days int NOT NULL DEFAULT 1 CHECK (verify_days BETWEEN 0 AND 60),
    active      boolean NOT NULL DEFAULT true
);

-- Seed: the plans' categories (REQUIREMENTS §3, P3 §二, P4 §四, P5 attachment 4).
INSERT INTO case_categories (code, parent_code, name, name_en, points) VALUES
 ('01', NULL, '市容环境', 'City appearance and sanitation', 0),
 ('0101', '01', '市容市貌', 'City appearance', 2),
 ('0102', '01', '广告灯饰', 'Adverts and lights', 2),
 ('0103', '01', '门前五包', 'Frontage responsibility', 1),
 ('0104', '01', '垃圾清运', 'Garbage collection', 2),
 ('0105', '01', '道路保洁', 'Road cleaning', 1),
 ('0106', '01', '环卫设施', 'Sanitation facilities', 2),
 ('02', NULL, '街面秩序', 'Street order', 0),
 ('0201', '02', '乱停乱放', 'Illegal parking and stalls', 1),
 ('0202', '02', '违章建设', 'Illegal construction', 5),
 ('0203', '02', '非法占地', 'Illegal land occupation', 5),
 ('03', NULL, '环境保护', 'Environmental protection', 0),
 ('0301', '03', '水体污染', 'Water pollution', 3),
 ('0302', '03', '废气排放', 'Exhaust emissions', 3),
 ('0303', '03', '畜禽养殖污染', 'Livestock pollution', 3),
 ('0304', '03', '扬尘污染', 'Dust', 2),
 ('0305', '03', '倾倒废弃物', 'Waste dumping', 3),
 ('0306', '03', '秸秆焚烧', 'Straw burning', 3),
 ('04', NULL, '食药安全', 'Food and drug safety', 0),
 ('0401', '04', '食品安全', 'Food safety', 3),
 ('0402', '04', '药品安全', 'Drug safety', 3),
 ('05', NULL, '安全生产', 'Work safety', 0),
 ('0501', '05', '废弃矿井', 'Abandoned mines', 5),
 ('0502', '05', '闲置厂房', 'Idle plants', 3),
 ('0503', '05', '非法加油点', 'Illegal fuel points', 5),
 ('06', NULL, '市政设施', 'Municipal facilities', 0),
 ('0601', '06', '市政设施损坏', 'Damaged municipal facilities', 2),
 ('0602', '06', '森林防火', 'Forest fire prevention', 3),
 ('07', NULL, '建筑工地', 'Construction sites', 0),
 ('0701', '07', '建筑工地管理', 'Construction site management', 3),
 ('08', NULL, '治安秩序', 'Public order', 0),
 ('0801', '08', '治安隐患', 'Public security hazards', 3),
 ('09', NULL, '矛盾纠纷', 'Disputes', 0),
 ('0901', '09', '土地纠纷', 'Land disputes', 3),
 ('0902', '09', '劳资纠纷', 'Labour disputes', 3),
 ('0903', '09', '邻里纠纷', 'Neighbour disputes', 2),
 ('0904', '09', '信访问题', 'Petitions', 3),
 ('0905', '09', '群体性事件', 'Mass incidents', 5),
 ('10', NULL, '社区小区', 'Communities and estates', 0),
 ('1001', '10', '社区小区管理', 'Estate management', 2),
 ('11', NULL, '便民市场', 'Markets', 0),
 ('1101', '11', '市场环境卫生', 'Market sanitation', 1),
 ('1102', '11', '市场经营秩序', 'Market business order', 2);

-- 归口办理明细表: ordered rules, category (small or big class) × optional
-- spatial predicate → lead unit + co-units.
CREATE TABLE routing_rules (
    id            bigserial PRIMARY KEY,
    position      int NOT NULL UNIQUE DEFERRABLE INITIALLY DEFERRED,
    name          text NOT NULL DEFAULT '',
    category_code text NOT NULL REFERENCES case_categories (code),
    pred_kind     text NOT NULL DEFAULT '' CHECK (pred_kind IN ('', 'in_zone', 'near_road', 'in_grid')),
    zone_code     text,
    road_kind     text,
    distance_m    double precision CHECK (distance_m IS NULL OR distance_m > 0),
    grid_codes    text[] NOT NULL DEFAULT '{}',
    lead_unit     text NOT NULL REFERENCES departments (code),
    co_units      text[] NOT NULL DEFAULT '{}'
);

-- Official holidays and make-up working days, per year (editable).
CREATE TABLE work_calendar (
    year       int PRIMARY KEY CHECK (year BETWEEN 1 AND 9999),
    off_days   date[] NOT NULL,
    work_days  date[] NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- Seeded from the State Council notices (workday.China2025, workday.China2026;
-- a test checks that these rows equal them).
INSERT INTO work_calendar (year, off_days, work_days) VALUES
(2025,
 ARRAY['2025-01-01','2025-01-28','2025-01-29','2025-01-30','2025-01-31','2025-02-01','2025-02-02','2025-02-03','2025-02-04','2025-04-04','2025-04-05','2025-04-06','2025-05-01','2025-05-02','2025-05-03','2025-05-04','2025-05-05','2025-05-31','2025-06-01','2025-06-02','2025-10-01','2025-10-02','2025-10-03','2025-10-04','2025-10-05','2025-10-06','2025-10-07','2025-10-08']::date[],
 ARRAY['2025-01-26','2025-02-08','2025-04-27','2025-09-28','2025-10-11']::date[]),
(2026,
 ARRAY['2026-01-01','2026-01-02','2026-01-03','2026-02-15','2026-02-16','2026-02-17','2026-02-18','2026-02-19','2026-02-20','2026-02-21','2026-02-22','2026-02-23','2026-04-04','2026-04-05','2026-04-06','2026-05-01','2026-05-02','2026-05-03','2026-05-04','2026-05-05','2026-06-19','2026-06-20','2026-06-21','2026-09-25','2026-09-26','2026-09-27','2026-10-01','2026-10-02','2026-10-03','2026-10-04','2026-10-05','2026-10-06','2026-10-07']::date[],
 ARRAY['2026-01-04','2026-02-14','2026-02-28','2026-05-09','2026-09-20','2026-10-10']::date[]);

-- Per-month counters of the readable case number YYYY-MM-NNNNNN.
CREATE TABLE case_counters (
    month text PRIMARY KEY CHECK (month ~ '^[0-9]{4}-[0-9]{2}$'),
    n     int NOT NULL
);

CREATE TABLE cases (
    id                bigserial PRIMARY KEY,
    number            text NOT NULL UNIQUE CHECK (number ~ '^[0-9]{4}-[0-9]{2}-[0-9]{6}$'),
    version           int NOT NULL DEFAULT 1 CHECK (version >= 1),
    category_code     text NOT NULL REFERENCES case_categories (code),
    description       text NOT NULL,
    source            text NOT NULL CHECK (source IN ('worker_app', 'hotline_12345', 'wechat', 'online', 'public', 'video', 'inspector')),
    geom              geometry(Point, 4326) NOT NULL,
    reported_at       timestamptz NOT NULL,
    reporter_id       bigint NOT NULL REFERENCES users (id),
    grid_code         text,
    grid_chain        text[] NOT NULL DEFAULT '{}',
    worker_id         bigint REFERENCES users (id),
    suggested_rule_id bigint,
    suggested_lead    text,
    suggested_co      text[] NOT NULL DEFAULT '{}',
    duplicates        bigint[] NOT NULL DEFAULT '{}',
    status            text NOT NULL CHECK (status IN ('reported', 'escalated', 'accepted', 'rejected', 'dispatched',
                          'handling', 'extension_requested', 'postponement_requested', 'postponed', 'handled',
                          'verifying', 'closed', 'merged')),
    emergency         boolean NOT NULL DEFAULT false,
    resolved_on_site  boolean NOT NULL DEFAULT false,
    escalated_from    text,
    escalation_level  int NOT NULL DEFAULT 0,
    lead_unit         text REFERENCES departments (code),
    co_units          text[] NOT NULL DEFAULT '{}',
    merged_into       bigint REFERENCES cases (id),
    rework_count      int NOT NULL DEFAULT 0,
    reject_reason     text NOT NULL DEFAULT '',
    accepted_at       timestamptz,
    dispatched_at     timestamptz,
    handle_start      timestamptz,
    handled_at        timestamptz,
    closed_at         timestamptz,
    accept_due        timestamptz,
    handle_due        timestamptz,
    verify_due        timestamptz,
    due_at            timestamptz,
    extension_days    int NOT NULL DEFAULT 0,
    pending_days      int NOT NULL DEFAULT 0,
    pauses            jsonb NOT NULL DEFAULT '[]',
    ever_postponed    boolean NOT NULL DEFAULT false,
    handled_on_time   boolean,
    rating            int NOT NULL DEFAULT 0 CHECK (rating BETWEEN 0 AND 5),
    rating_comment    text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    CHECK ((status = 'merged') = (merged_into IS NOT NULL))
);
CREATE INDEX cases_geom ON cases USING gist (geom);
CREATE INDEX cases_geog ON cases USING gist ((geom::geography));
CREATE INDEX cases_chain ON cases USING gin (grid_chain);
CREATE INDEX cases_reported ON cases (reported_at);
CREATE INDEX cases_status ON cases (status, due_at);
CREATE INDEX cases_lead ON cases (lead_unit);
CREATE INDEX cases_open_category ON cases (category_code, reported_at)
    WHERE status NOT IN ('rejected', 'closed', 'merged');

-- Append-only timeline: every transition with actor, time, comment, attachments.
CREATE TABLE case_events (
    id          bigserial PRIMARY KEY,
    case_id     bigint NOT NULL REFERENCES cases (id),
    action      text NOT NULL,
    from_status text NOT NULL DEFAULT '',
    to_status   text NOT NULL,
    actor_id    bigint REFERENCES users (id),
    actor_name  text NOT NULL DEFAULT '',
    at          timestamptz NOT NULL,
    comment     text NOT NULL DEFAULT '',
    attachments bigint[] NOT NULL DEFAULT '{}',
    data        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX case_events_case ON case_events (case_id, id);

-- +goose StatementBegin
CREATE FUNCTION case_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'case_events is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
-- +goose StatementEnd
CREATE TRIGGER case_events_no_change BEFORE UPDATE OR DELETE ON case_events
    FOR EACH ROW EXECUTE FUNCTION case_events_append_only();

-- Photos: re-encoded JPEG/PNG without metadata, stored durably.
CREATE TABLE uploads (
    id           bigserial PRIMARY KEY,
    owner_id     bigint NOT NULL REFERENCES users (id),
    content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    data         bytea NOT NULL,
    width        int NOT NULL CHECK (width > 0),
    height       int NOT NULL CHECK (height > 0),
    sha256       bytea NOT NULL,
    gps_lon      double precision,
    gps_lat      double precision,
    case_id      bigint REFERENCES cases (id),
    created_at   timestamptz NOT NULL
);
CREATE INDEX uploads_case ON uploads (case_id);
CREATE INDEX uploads_owner ON uploads (owner_id, created_at);

-- Idempotency keys of POST /api/v1/cases, scoped to the user, kept at least 7 days.
CREATE TABLE idempotency_keys (
    user_id      bigint NOT NULL REFERENCES users (id),
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_hash bytea NOT NULL,
    case_id      bigint REFERENCES cases (id),
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

INSERT INTO layer_revisions (layer) VALUES ('cases') ON CONFLICT DO NOTHING;

-- +goose Down
DELETE FROM layer_revisions WHERE layer = 'cases';
DROP TABLE idempotency_keys, uploads;
DROP TRIGGER case_events_no_change ON case_events;
DROP FUNCTION case_events_append_only();
DROP TABLE case_events, cases, case_counters, work_calendar, routing_rules, case_categories;
