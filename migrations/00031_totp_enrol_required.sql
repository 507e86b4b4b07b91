-- +goose Up
-- An admin can restart a user's second-factor enrolment (a lost or
-- compromised authenticator): the factor is removed and the user must
-- enrol a new one at its next login, whatever its role. Confirming an
-- enrolment clears the demand.
ALTER TABLE users ADD COLUMN totp_enrol_required boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE users DROP COLUMN totp_enrol_required;
