package postgis

import (
	"context"
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

// CreateSession stores a session and its attendance in one transaction.
func (s *TrainingStore) CreateSession(ctx context.Context, se *training.Session) error {
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `
INSERT INTO training_sessions (title, held_on, hours, pass_mark, scope_code, created_by, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, created_at`, se.Title, se.Date, se.Hours, se.PassMark, nullText(se.ScopeCode),
			se.CreatedBy, s.db.Now()).Scan(&se.ID, &se.CreatedAt); err != nil {
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
	return translate(err, "training session")
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
	rows, err := s.db.Pool.Query(ctx, `
SELECT ts.id, ts.title, ts.held_on, ts.hours::float8, ts.pass_mark::float8, coalesce(ts.scope_code, ''), ts.created_by, ts.created_at,
  ta.user_id, u.username, u.name, ta.attended, ta.score::float8
FROM training_sessions ts JOIN training_attendance ta ON ta.session_id = ts.id JOIN users u ON u.id = ta.user_id
WHERE `+strings.Join(w, " AND ")+`
ORDER BY ts.held_on, ts.id, u.username`, a.vals...)
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

// CreateMeeting stores a meeting.
func (s *TrainingStore) CreateMeeting(ctx context.Context, m *training.Meeting) error {
	ids := make([]int64, len(m.Attendees))
	for i, a := range m.Attendees {
		ids[i] = a.UserID
	}
	err := s.db.Pool.QueryRow(ctx, `
INSERT INTO meetings (kind, held_on, grid_code, title, minutes, attendees, created_by, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, created_at`, m.Kind, m.Date, nullText(m.GridCode), m.Title, m.Minutes, ids,
		m.CreatedBy, s.db.Now()).Scan(&m.ID, &m.CreatedAt)
	return translate(err, "meeting")
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
	rows, err := s.db.Pool.Query(ctx, `SELECT `+meetingColumns+` FROM meetings m WHERE `+strings.Join(w, " AND ")+`
ORDER BY m.held_on DESC, m.id DESC LIMIT 500`, a.vals...)
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
