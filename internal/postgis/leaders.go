package postgis

import (
	"context"
	"encoding/json"

	"github.com/gridd/gridd/internal/analytics"
	"github.com/gridd/gridd/internal/people"
)

// LeaderStore implements analytics.LeaderStore.
type LeaderStore struct {
	db     *DB
	people *PeopleStore
}

var _ analytics.LeaderStore = (*LeaderStore)(nil)

// NewLeaderStore returns the leaders' rubric and scores store on db.
func NewLeaderStore(db *DB) *LeaderStore { return &LeaderStore{db: db, people: NewPeopleStore(db)} }

// LeaderRubric returns the newest saved rubric, or NotFound.
func (s *LeaderStore) LeaderRubric(ctx context.Context) (*analytics.LeaderRubric, error) {
	var version int
	var body []byte
	err := s.db.Pool.QueryRow(ctx, `SELECT version, rubric FROM leader_rubrics ORDER BY version DESC LIMIT 1`).Scan(&version, &body)
	if err != nil {
		return nil, translate(err, "leader rubric")
	}
	var r analytics.LeaderRubric
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, err
	}
	r.Version = version
	return &r, nil
}

// SaveLeaderRubric stores r as a new version.
func (s *LeaderStore) SaveLeaderRubric(ctx context.Context, r *analytics.LeaderRubric, by int64) error {
	body, err := json.Marshal(r)
	if err != nil {
		return err
	}
	err = s.db.Pool.QueryRow(ctx, `INSERT INTO leader_rubrics (rubric, created_by, created_at) VALUES ($1, $2, $3) RETURNING version`,
		body, by, s.db.Now()).Scan(&r.Version)
	return translate(err, "leader rubric")
}

// LeaderScores returns the manual scores of year.
func (s *LeaderStore) LeaderScores(ctx context.Context, year int) (map[int64]map[string]float64, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT user_id, item, score::float8 FROM leader_scores WHERE year = $1`, year)
	if err != nil {
		return nil, translate(err, "leader scores")
	}
	defer rows.Close()
	out := map[int64]map[string]float64{}
	for rows.Next() {
		var id int64
		var item string
		var score float64
		if err := rows.Scan(&id, &item, &score); err != nil {
			return nil, err
		}
		if out[id] == nil {
			out[id] = map[string]float64{}
		}
		out[id][item] = score
	}
	return out, translate(rows.Err(), "leader scores")
}

// SaveLeaderScore sets one manual score, replacing an earlier one.
func (s *LeaderStore) SaveLeaderScore(ctx context.Context, year int, userID int64, item string, score float64, by int64) error {
	_, err := s.db.Pool.Exec(ctx, `INSERT INTO leader_scores (year, user_id, item, score, set_by, set_at) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (year, user_id, item) DO UPDATE SET score = EXCLUDED.score, set_by = EXCLUDED.set_by, set_at = EXCLUDED.set_at`,
		year, userID, item, score, by, s.db.Now())
	return translate(err, "leader score")
}

// FindAssignments finds grid assignments (the supervisors').
func (s *LeaderStore) FindAssignments(ctx context.Context, f people.AssignmentFilter) ([]*people.Assignment, error) {
	return s.people.FindAssignments(ctx, f)
}
