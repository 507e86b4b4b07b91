-- +goose Up
-- Each instance keeps the principals behind recently used tokens and API
-- keys in memory (internal/auth Cache). Whatever changes what a token
-- grants tells every instance on the channel gridd_auth, in the same
-- transaction as the change, so that no code path (a route, the CLI, a
-- script in psql) can forget to: payload 't<hex of the token or key
-- hash>' drops that token, 'u<user id>' every token of that user (a
-- password, role, scope, permission or disabled change; a worker's grid
-- assignments, which make its scope).
-- +goose StatementBegin
CREATE FUNCTION auth_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'sessions' THEN
        PERFORM pg_notify('gridd_auth', 't' || encode(OLD.token_hash, 'hex'));
    ELSIF TG_TABLE_NAME = 'api_keys' THEN
        PERFORM pg_notify('gridd_auth', 't' || encode(OLD.key_hash, 'hex'));
    ELSIF TG_TABLE_NAME = 'users' THEN
        PERFORM pg_notify('gridd_auth', 'u' || OLD.id);
    ELSE -- grid_assignments
        IF TG_OP <> 'INSERT' THEN
            PERFORM pg_notify('gridd_auth', 'u' || OLD.user_id);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            PERFORM pg_notify('gridd_auth', 'u' || NEW.user_id);
        END IF;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER auth_notify AFTER UPDATE OR DELETE ON sessions FOR EACH ROW EXECUTE FUNCTION auth_notify();
CREATE TRIGGER auth_notify AFTER UPDATE OR DELETE ON api_keys FOR EACH ROW EXECUTE FUNCTION auth_notify();
CREATE TRIGGER auth_notify AFTER UPDATE OR DELETE ON users FOR EACH ROW EXECUTE FUNCTION auth_notify();
CREATE TRIGGER auth_notify AFTER INSERT OR UPDATE OR DELETE ON grid_assignments FOR EACH ROW EXECUTE FUNCTION auth_notify();

-- +goose Down
DROP TRIGGER auth_notify ON grid_assignments;
DROP TRIGGER auth_notify ON users;
DROP TRIGGER auth_notify ON api_keys;
DROP TRIGGER auth_notify ON sessions;
DROP FUNCTION auth_notify();
