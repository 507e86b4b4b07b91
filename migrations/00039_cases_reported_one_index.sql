-- +goose Up
-- Three indexes on cases led with reported_at: the plain one (00003), the
-- one carrying the hot-spot columns for index-only scans (00019) and the
-- list's keyset order (00021). Every case report paid for all three. One
-- index with the list's key and the hot spots' columns serves all three
-- kinds of query.
CREATE INDEX cases_reported_all ON cases (reported_at, id) INCLUDE (h3_cell, status, category_code);
DROP INDEX cases_reported;
DROP INDEX cases_reported_cell;
DROP INDEX cases_reported_id;

-- +goose Down
CREATE INDEX cases_reported ON cases (reported_at);
CREATE INDEX cases_reported_cell ON cases (reported_at) INCLUDE (h3_cell, status, category_code);
CREATE INDEX cases_reported_id ON cases (reported_at, id);
DROP INDEX cases_reported_all;
