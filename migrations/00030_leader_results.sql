-- +goose Up
-- The supervising leaders' and cadres' yearly system (蹲点领导、干部考核):
-- every version of its rubric, and the joint meeting's scores of the
-- rubric's manual items.
CREATE TABLE leader_rubrics (
    version    serial PRIMARY KEY,
    rubric     jsonb NOT NULL,
    created_by bigint NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE leader_scores (
    year       int NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    user_id    bigint NOT NULL REFERENCES users (id),
    item       text NOT NULL CHECK (length(item) BETWEEN 1 AND 40),
    score      numeric(5, 2) NOT NULL CHECK (score BETWEEN 0 AND 100),
    set_by     bigint NOT NULL REFERENCES users (id),
    set_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (year, user_id, item)
);

-- +goose Down
DROP TABLE leader_scores;
DROP TABLE leader_rubrics;
