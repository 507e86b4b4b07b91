-- +goose Up
-- Events no longer notify from a trigger: the transaction that writes them
-- asks for the notification after its commit (postgis.notifyAfterCommit).
-- A NOTIFY inside a transaction holds the cluster's notification-queue lock
-- through the commit's WAL flush, so every notifying writer (every case
-- report and action) committed after the previous one had reached the disk.
-- The hubs still poll the table, which covers a notification lost between
-- a commit and its sending.
DROP TRIGGER events_notify ON events;
DROP FUNCTION events_notify();

-- +goose Down
-- +goose StatementBegin
CREATE FUNCTION events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gridd_events', NEW.id::text);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER events_notify AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_notify();
