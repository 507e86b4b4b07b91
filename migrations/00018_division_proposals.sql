-- +goose Up
-- Grid division proposals: a proposed division of a parent grid into
-- grids of about a target number of households along roads and blocks
-- (internal/planning). The body is the proposal as served (grids with
-- geometry and figures, its audit, the children it replaces and their
-- versions); applying it writes new grid versions and sets applied_at.
CREATE TABLE division_proposals (
    id             bigserial PRIMARY KEY,
    parent_code    text NOT NULL,
    parent_version int NOT NULL CHECK (parent_version >= 1),
    body           jsonb NOT NULL,
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL,
    applied_at     timestamptz
);
CREATE INDEX division_proposals_parent ON division_proposals (parent_code, created_at);

-- +goose Down
DROP TABLE division_proposals;
