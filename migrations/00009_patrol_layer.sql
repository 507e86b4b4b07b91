-- +goose Up
-- The coverage map layer is derived from the stored patrol days; intake
-- bumps this revision after each commit that stored new fixes (see
-- postgis.DB.bumpAfterCommit), so a tile read after an acknowledged
-- upload is recomputed from the new track.
INSERT INTO layer_revisions (layer) VALUES ('patrols') ON CONFLICT DO NOTHING;

-- +goose Down
DELETE FROM layer_revisions WHERE layer = 'patrols';
