package postgis

import (
	"context"
	"errors"
	"strings"

	"github.com/gridd/gridd/internal/assessment"
	"github.com/gridd/gridd/internal/attendance"
	"github.com/gridd/gridd/internal/errs"
	"github.com/jackc/pgx/v5"
)

// LeaveStore keeps leave and rest-day requests.
type LeaveStore struct{ db *DB }

// NewLeaveStore returns the store on db.
func NewLeaveStore(db *DB) *LeaveStore { return &LeaveStore{db: db} }

var _ attendance.Store = (*LeaveStore)(nil)

const leaveColumns = `l.id, l.user_id, u.username, u.name, l.kind, l.from_date, l.to_date, l.reason, l.status, l.version, l.decided_by, l.decided_at, l.created_by, l.created_at`

func scanLeave(row pgx.Row) (*attendance.Leave, error) {
	var l attendance.Leave
	err := row.Scan(&l.ID, &l.UserID, &l.Username, &l.Name, &l.Kind, &l.From, &l.To, &l.Reason, &l.Status, &l.Version, &l.DecidedBy, &l.DecidedAt, &l.CreatedBy, &l.CreatedAt)
	return &l, err
}

// CreateLeave stores a request; with key, the request the creator stored
// under key before wins (ON CONFLICT: a concurrent retry too).
func (s *LeaveStore) CreateLeave(ctx context.Context, l *attendance.Leave, key string, hash []byte) (bool, []byte, error) {
	var k *string
	var h []byte
	if key != "" {
		k, h = &key, hash
	}
	err := s.db.Pool.QueryRow(ctx, `
INSERT INTO leave_requests (user_id, kind, from_date, to_date, reason, status, idem_key, request_hash, created_by, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (created_by, idem_key) DO NOTHING
RETURNING id, version, created_at`, l.UserID, l.Kind, l.From, l.To, l.Reason, l.Status, k, h, l.CreatedBy, s.db.Now()).Scan(&l.ID, &l.Version, &l.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) && key != "" {
		var stored []byte
		var id int64
		if err := s.db.Pool.QueryRow(ctx, `SELECT id, request_hash FROM leave_requests WHERE created_by = $1 AND idem_key = $2`, l.CreatedBy, key).Scan(&id, &stored); err != nil {
			return false, nil, translate(err, "leave request")
		}
		first, err := s.FindLeave(ctx, id)
		if err != nil {
			return false, nil, err
		}
		*l = *first
		return true, stored, nil
	}
	return false, nil, translate(err, "leave request")
}

// FindLeave returns one request.
func (s *LeaveStore) FindLeave(ctx context.Context, id int64) (*attendance.Leave, error) {
	l, err := scanLeave(s.db.Pool.QueryRow(ctx, `SELECT `+leaveColumns+` FROM leave_requests l JOIN users u ON u.id = l.user_id WHERE l.id = $1`, id))
	if err != nil {
		return nil, translate(err, "leave request")
	}
	return l, nil
}

// assignedUnder is the condition "user column holds a current grid
// assignment under one of roots".
func assignedUnder(a *sqlArgs, column string, roots []string) string {
	return column + ` IN (SELECT ga.user_id FROM grid_assignments ga WHERE (ga.valid_to IS NULL OR ga.valid_to > current_date) AND ` +
		gridScopeCondition(a, "ga.grid_code", roots) + `)`
}

// FindLeaves returns requests matching f, newest first.
func (s *LeaveStore) FindLeaves(ctx context.Context, f attendance.Filter) ([]*attendance.Leave, error) {
	a := &sqlArgs{}
	w := []string{"TRUE"}
	if f.UserID != nil {
		w = append(w, "l.user_id = "+a.add(*f.UserID))
	}
	if f.ScopeGrids != nil {
		w = append(w, assignedUnder(a, "l.user_id", f.ScopeGrids))
	}
	if f.Status != "" {
		w = append(w, "l.status = "+a.add(f.Status))
	}
	if f.From != nil {
		w = append(w, "l.to_date >= "+a.add(*f.From))
	}
	if f.To != nil {
		w = append(w, "l.from_date <= "+a.add(*f.To))
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT `+leaveColumns+` FROM leave_requests l JOIN users u ON u.id = l.user_id
WHERE `+strings.Join(w, " AND ")+` ORDER BY l.from_date DESC, l.id DESC LIMIT 1000`, a.vals...)
	if err != nil {
		return nil, translate(err, "leave requests")
	}
	defer rows.Close()
	out := []*attendance.Leave{}
	for rows.Next() {
		l, err := scanLeave(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, translate(rows.Err(), "leave requests")
}

// DecideLeave records the decision if the request is still at version.
func (s *LeaveStore) DecideLeave(ctx context.Context, l *attendance.Leave, version int) error {
	err := s.db.Pool.QueryRow(ctx, `
UPDATE leave_requests SET status = $2, decided_by = $3, decided_at = $4, version = version + 1
WHERE id = $1 AND version = $5 AND status = 'pending' RETURNING version`, l.ID, l.Status, l.DecidedBy, l.DecidedAt, version).Scan(&l.Version)
	if err == pgx.ErrNoRows {
		return errs.Conflictf("version_mismatch", "leave request %d was decided or changed meanwhile; reload it", l.ID)
	}
	return translate(err, "leave request")
}

// InScope reports whether user holds a current assignment under roots.
func (s *LeaveStore) InScope(ctx context.Context, userID int64, roots []string) (bool, error) {
	a := &sqlArgs{}
	cond := assignedUnder(a, a.add(userID)+"::bigint", roots)
	var ok bool
	err := s.db.Pool.QueryRow(ctx, `SELECT `+cond, a.vals...).Scan(&ok)
	return ok, translate(err, "grid assignments")
}

// absences reads the approved leave and rest days of the month [from, to).
func (s *AssessmentStore) absences(ctx context.Context, ev *assessment.Evidence, ids []int64, from, to string) error {
	rows, err := s.db.Pool.Query(ctx, `
SELECT l.user_id, to_char(d, 'YYYY-MM-DD'), l.kind, l.id
FROM leave_requests l CROSS JOIN LATERAL generate_series(greatest(l.from_date, $1::date), least(l.to_date, $2::date - 1), interval '1 day') d
WHERE l.status = 'approved' AND l.user_id = ANY($3) AND l.to_date >= $1::date AND l.from_date < $2::date
ORDER BY l.user_id, d, l.id`, from, to, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a assessment.Absence
		if err := rows.Scan(&a.WorkerID, &a.Date, &a.Kind, &a.LeaveID); err != nil {
			return err
		}
		ev.Absences = append(ev.Absences, a)
	}
	return rows.Err()
}
