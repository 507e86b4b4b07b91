package postgis

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/training"
	"github.com/jackc/pgx/v5"
)

// TrainingStore keeps training sessions and meetings.
type TrainingStore struct{ db *DB }

// NewTrainingStore returns the store on db.
func NewTrainingStore(db *DB) *TrainingStore { return &TrainingStore{db: db} }

var _ training.Store = (*TrainingStore)(nil)

func nullText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// idemArgs are the key and hash columns' values: NULL without a key.
func idemArgs(key string, hash []byte) (*string, []byte) {
	if key == "" {
		return nil, nil
	}
	return &key, hash
}

// CreateSession stores a session and its attendance in one transaction;
// with key, the session its creator stored under key before wins (ON
// CONFLICT: a concurrent retry too) and is read back into se.
func (s *TrainingStore) CreateSession(ctx context.Context, se *training.Session, key string, hash []byte) (bool, []byte, error) {
	k, h := idemArgs(key, hash)
	var firstID int64
	var stored []byte
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
INSERT INTO training_sessions (title, held_on, hours, pass_mark, scope_code, created_by, created_at, idem_key, request_hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (created_by, idem_key) DO NOTHING
RETURNING id, created_at`, se.Title, se.Date, se.Hours, se.PassMark, nullText(se.ScopeCode),
			se.CreatedBy, s.db.Now(), k, h).Scan(&se.ID, &se.CreatedAt)
		if errors.Is(err, pgx.ErrNoRows) && key != "" {
			return tx.QueryRow(ctx, `SELECT id, request_hash FROM training_sessions WHERE created_by = $1 AND idem_key = $2`,
				se.CreatedBy, key).Scan(&firstID, &stored)
		}
		if err != nil {
			return err
		}
		for _, a := range se.Attendees {
			if _, err := tx.Exec(ctx, `INSERT INTO training_attendance (session_id, user_id, attended, score) VALUES ($1, $2, $3, $4)`,
				se.ID, a.UserID, a.Attended, a.Score); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || firstID == 0 {
		return false, nil, translate(err, "training session")
	}
	first, err := s.findSession(ctx, firstID)
	if err != nil {
		return false, nil, err
	}
	*se = *first
	return true, stored, nil
}

func (s *TrainingStore) findSession(ctx context.Context, id int64) (*training.Session, error) {
	ss, err := s.findSessions(ctx, "ts.id = $1", []any{id})
	if err != nil {
		return nil, err
	}
	if len(ss) == 0 {
		return nil, translate(pgx.ErrNoRows, "training session")
	}
	return ss[0], nil
}

// FindSessions returns sessions with their attendees, by date.
func (s *TrainingStore) FindSessions(ctx context.Context, scope []string, from, to *time.Time) ([]*training.Session, error) {
	a := &sqlArgs{}
	w := []string{"TRUE"}
	if scope != nil {
		w = append(w, "(ts.scope_code IS NULL OR "+gridScopeCondition(a, "ts.scope_code", scope)+")")
	}
	if from != nil {
		w = append(w, "ts.held_on >= "+a.add(*from))
	}
	if to != nil {
		w = append(w, "ts.held_on <= "+a.add(*to))
	}
	return s.findSessions(ctx, strings.Join(w, " AND "), a.vals)
}

// findSessions returns the sessions matching where (bound to vals) with
// their attendees, by date.
func (s *TrainingStore) findSessions(ctx context.Context, where string, vals []any) ([]*training.Session, error) {
	rows, err := s.db.Pool.Query(ctx, `
SELECT ts.id, ts.title, ts.held_on, ts.hours::float8, ts.pass_mark::float8, coalesce(ts.scope_code, ''), ts.created_by, ts.created_at,
  ta.user_id, u.username, u.name, ta.attended, ta.score::float8
FROM training_sessions ts JOIN training_attendance ta ON ta.session_id = ts.id JOIN users u ON u.id = ta.user_id
WHERE `+where+`
ORDER BY ts.held_on, ts.id, u.username`, vals...)
	if err != nil {
		return nil, translate(err, "training sessions")
	}
	defer rows.Close()
	out := []*training.Session{}
	var cur *training.Session
	for rows.Next() {
		var se training.Session
		var at training.Attendee
		if err := rows.Scan(&se.ID, &se.Title, &se.Date, &se.Hours, &se.PassMark, &se.ScopeCode, &se.CreatedBy, &se.CreatedAt,
			&at.UserID, &at.Username, &at.Name, &at.Attended, &at.Score); err != nil {
			return nil, err
		}
		if cur == nil || cur.ID != se.ID {
			cur = &se
			out = append(out, cur)
		}
		cur.Attendees = append(cur.Attendees, at)
	}
	return out, translate(rows.Err(), "training sessions")
}

// CreateMeeting stores a meeting; with key as CreateSession.
func (s *TrainingStore) CreateMeeting(ctx context.Context, m *training.Meeting, key string, hash []byte) (bool, []byte, error) {
	ids := make([]int64, len(m.Attendees))
	for i, a := range m.Attendees {
		ids[i] = a.UserID
	}
	k, h := idemArgs(key, hash)
	err := s.db.Pool.QueryRow(ctx, `
INSERT INTO meetings (kind, held_on, grid_code, title, minutes, attendees, created_by, created_at, idem_key, request_hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (created_by, idem_key) DO NOTHING
RETURNING id, created_at`, m.Kind, m.Date, nullText(m.GridCode), m.Title, m.Minutes, ids,
		m.CreatedBy, s.db.Now(), k, h).Scan(&m.ID, &m.CreatedAt)
	if !errors.Is(err, pgx.ErrNoRows) || key == "" {
		return false, nil, translate(err, "meeting")
	}
	var id int64
	var stored []byte
	if err := s.db.Pool.QueryRow(ctx, `SELECT id, request_hash FROM meetings WHERE created_by = $1 AND idem_key = $2`, m.CreatedBy, key).
		Scan(&id, &stored); err != nil {
		return false, nil, translate(err, "meeting")
	}
	first, err := s.FindMeeting(ctx, id)
	if err != nil {
		return false, nil, err
	}
	*m = *first
	return true, stored, nil
}

const meetingColumns = `m.id, m.kind, m.held_on, coalesce(m.grid_code, ''), m.title, m.minutes, m.created_by, m.created_at,
  coalesce((SELECT jsonb_agg(jsonb_build_object('user_id', u.id, 'username', u.username, 'name', u.name, 'attended', true) ORDER BY u.username)
            FROM users u WHERE u.id = ANY(m.attendees)), '[]')`

func scanMeeting(row pgx.Row) (*training.Meeting, error) {
	var m training.Meeting
	err := row.Scan(&m.ID, &m.Kind, &m.Date, &m.GridCode, &m.Title, &m.Minutes, &m.CreatedBy, &m.CreatedAt, &m.Attendees)
	return &m, err
}

// FindMeeting returns one meeting.
func (s *TrainingStore) FindMeeting(ctx context.Context, id int64) (*training.Meeting, error) {
	m, err := scanMeeting(s.db.Pool.QueryRow(ctx, `SELECT `+meetingColumns+` FROM meetings m WHERE m.id = $1`, id))
	if err != nil {
		return nil, translate(err, "meeting")
	}
	return m, nil
}

// FindMeetings returns meetings newest first.
func (s *TrainingStore) FindMeetings(ctx context.Context, scope []string, kind string, from, to *time.Time) ([]*training.Meeting, error) {
	a := &sqlArgs{}
	w := []string{"TRUE"}
	if scope != nil {
		w = append(w, gridScopeCondition(a, "m.grid_code", scope))
	}
	if kind != "" {
		w = append(w, "m.kind = "+a.add(kind))
	}
	if from != nil {
		w = append(w, "m.held_on >= "+a.add(*from))
	}
	if to != nil {
		w = append(w, "m.held_on <= "+a.add(*to))
	}
	return s.queryMeetings(ctx, strings.Join(w, " AND "), 500, a.vals)
}

// queryMeetings returns the meetings matching where (bound to vals),
// newest first, at most limit.
func (s *TrainingStore) queryMeetings(ctx context.Context, where string, limit int, vals []any) ([]*training.Meeting, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+meetingColumns+` FROM meetings m WHERE `+where+`
ORDER BY m.held_on DESC, m.id DESC LIMIT `+strconv.Itoa(limit), vals...)
	if err != nil {
		return nil, translate(err, "meetings")
	}
	defer rows.Close()
	out := []*training.Meeting{}
	for rows.Next() {
		m, err := scanMeeting(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, translate(rows.Err(), "meetings")
}

// FindUserSessions returns the sessions userID was expected at, by date,
// with userID's attendee row only.
func (s *TrainingStore) FindUserSessions(ctx context.Context, userID int64) ([]*training.Session, error) {
	return s.findSessions(ctx, "ta.user_id = $1", []any{userID})
}

// FindUserMeetings returns the meetings userID attended and those of the
// grids under scope, newest first (at most 200).
func (s *TrainingStore) FindUserMeetings(ctx context.Context, userID int64, scope []string) ([]*training.Meeting, error) {
	a := &sqlArgs{}
	w := "m.attendees @> ARRAY[" + a.add(userID) + "::bigint]"
	if scope != nil {
		w += " OR " + gridScopeCondition(a, "m.grid_code", scope)
	}
	return s.queryMeetings(ctx, w, 200, a.vals)
}

// FindMeetingDays returns the kind, date and grid of every meeting of
// kinds held in [from, to] for the grids under scope (nil: all).
func (s *TrainingStore) FindMeetingDays(ctx context.Context, scope []string, kinds []string, from, to time.Time) ([]*training.Meeting, error) {
	a := &sqlArgs{}
	w := []string{"m.kind = ANY(" + a.add(kinds) + ")", "m.held_on >= " + a.add(from), "m.held_on <= " + a.add(to), "m.grid_code IS NOT NULL"}
	if scope != nil {
		w = append(w, gridScopeCondition(a, "m.grid_code", scope))
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT m.id, m.kind, m.held_on, m.grid_code FROM meetings m WHERE `+strings.Join(w, " AND ")+`
ORDER BY m.held_on, m.id`, a.vals...)
	if err != nil {
		return nil, translate(err, "meetings")
	}
	defer rows.Close()
	out := []*training.Meeting{}
	for rows.Next() {
		var m training.Meeting
		if err := rows.Scan(&m.ID, &m.Kind, &m.Date, &m.GridCode); err != nil {
			return nil, err
		}
		out = append(out, &m)
	}
	return out, translate(rows.Err(), "meetings")
}
