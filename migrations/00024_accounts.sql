-- +goose Up
-- Accounts hardening (internal/auth): a TOTP second factor with single-use
-- recovery codes, login throttling by account and by source address,
-- API keys that expire, and grants of sensitive permissions that need a
-- second admin.

-- totp_secret is the base32 secret, sealed with the data key (AES-GCM,
-- bound to the user), while enrolling and after; the factor counts only
-- once confirmed (totp_confirmed_at). totp_last_step is the last accepted
-- 30-second step, so a code is accepted once.
ALTER TABLE users
    ADD COLUMN totp_secret       bytea,
    ADD COLUMN totp_confirmed_at timestamptz,
    ADD COLUMN totp_last_step    bigint NOT NULL DEFAULT 0;

CREATE TABLE totp_recovery_codes (
    user_id   bigint NOT NULL REFERENCES users (id),
    code_hash bytea NOT NULL CHECK (length(code_hash) = 32),
    used_at   timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- A session opened by a password alone for a user whose role requires a
-- second factor it has not enrolled yet: good only for enrolling it.
ALTER TABLE sessions ADD COLUMN enrol_only boolean NOT NULL DEFAULT false;

-- Failures are kept per source address too: throttling looks at the
-- (account, source) pair and at the source, never at the account alone,
-- so strangers cannot lock the owner out.
ALTER TABLE login_failures ADD COLUMN source text NOT NULL DEFAULT '';
CREATE INDEX login_failures_source ON login_failures (source, at);
CREATE INDEX login_failures_at ON login_failures (at);

-- API keys expire; every key of a user is revoked when its password
-- changes (people store SetPassword).
ALTER TABLE api_keys ADD COLUMN expires_at timestamptz;
UPDATE api_keys SET expires_at = created_at + interval '90 days' WHERE expires_at IS NULL;
ALTER TABLE api_keys ALTER COLUMN expires_at SET NOT NULL;

-- A request to change a user's explicit permissions when they include a
-- sensitive one (keyperson:unmask): applied only when another admin
-- approves it.
CREATE TABLE permission_requests (
    id           bigserial PRIMARY KEY,
    username     text NOT NULL REFERENCES users (username) ON UPDATE CASCADE,
    permissions  text[] NOT NULL,
    requested_by bigint NOT NULL REFERENCES users (id),
    requested_at timestamptz NOT NULL,
    decided_by   bigint REFERENCES users (id),
    decided_at   timestamptz,
    approved     boolean,
    CHECK (decided_by IS NULL OR decided_by <> requested_by),
    CHECK ((decided_at IS NULL) = (approved IS NULL))
);
CREATE INDEX permission_requests_open ON permission_requests (id) WHERE decided_at IS NULL;

-- A check value of the data key (HMAC of a fixed text under the key; the
-- key itself stays in the configuration): gridd refuses to start with
-- another key than the one the protected fields were sealed with.
CREATE TABLE data_key_check (
    id         int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    kcv        bytea NOT NULL CHECK (length(kcv) = 32),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Key persons' identity and category are sealed like their ID numbers
-- (AES-256-GCM under the data key, bound to row and field; postgis
-- KeyPersonStore): name_enc, address_enc, category_enc. category_idx and
-- id_number_idx are blind indexes, HMAC-SHA256 under a key derived from the
-- data key, so the console can still filter by category and ID number. The plaintext columns stay only
-- for rows written before this migration until gridd migrate/serve seals
-- them (then NULL).
ALTER TABLE key_persons
    ALTER COLUMN name DROP NOT NULL,
    ALTER COLUMN category DROP NOT NULL,
    ALTER COLUMN address DROP NOT NULL,
    ALTER COLUMN address DROP DEFAULT,
    DROP CONSTRAINT key_persons_category_check,
    DROP CONSTRAINT key_persons_name_check,
    ADD COLUMN name_enc     bytea,
    ADD COLUMN address_enc  bytea,
    ADD COLUMN category_enc bytea,
    ADD COLUMN category_idx bytea,
    ADD COLUMN id_number_idx bytea;
CREATE INDEX key_persons_category_idx ON key_persons (category_idx, id);
CREATE INDEX key_persons_id_number_idx ON key_persons (id_number_idx);

-- +goose Down
DROP INDEX key_persons_category_idx;
DROP INDEX key_persons_id_number_idx;
ALTER TABLE key_persons DROP COLUMN name_enc, DROP COLUMN address_enc, DROP COLUMN category_enc, DROP COLUMN category_idx,
    DROP COLUMN id_number_idx;
DROP TABLE data_key_check;
DROP TABLE permission_requests;
ALTER TABLE api_keys DROP COLUMN expires_at;
DROP INDEX login_failures_at;
DROP INDEX login_failures_source;
ALTER TABLE login_failures DROP COLUMN source;
ALTER TABLE sessions DROP COLUMN enrol_only;
DROP TABLE totp_recovery_codes;
ALTER TABLE users DROP COLUMN totp_secret, DROP COLUMN totp_confirmed_at, DROP COLUMN totp_last_step;
