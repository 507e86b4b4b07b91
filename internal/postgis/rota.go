package postgis

import (
	"context"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/forces"
	"github.com/jackc/pgx/v5"
)

// RotaStore keeps the community police rota.
type RotaStore struct{ db *DB }

// NewRotaStore returns the store on db.
func NewRotaStore(db *DB) *RotaStore { return &RotaStore{db: db} }

var _ forces.Store = (*RotaStore)(nil)

const shiftColumns = `s.id, s.community_code, s.shift_on, s.shift, s.user_id, u.username, u.name, s.created_at`

func scanShift(row pgx.Row) (forces.Shift, error) {
	var sh forces.Shift
	err := row.Scan(&sh.ID, &sh.Community, &sh.Date, &sh.Shift, &sh.UserID, &sh.Username, &sh.Name, &sh.CreatedAt)
	return sh, err
}

// CreateShift stores a shift; the same officer twice on one shift is a conflict.
func (s *RotaStore) CreateShift(ctx context.Context, sh *forces.Shift) error {
	err := s.db.Pool.QueryRow(ctx, `
INSERT INTO police_shifts (community_code, shift_on, shift, user_id, created_at) VALUES ($1, $2, $3, $4, $5)
RETURNING id, created_at`, sh.Community, sh.Date, sh.Shift, sh.UserID, s.db.Now()).Scan(&sh.ID, &sh.CreatedAt)
	return translate(err, "shift")
}

// FindShift returns one shift.
func (s *RotaStore) FindShift(ctx context.Context, id int64) (*forces.Shift, error) {
	sh, err := scanShift(s.db.Pool.QueryRow(ctx, `SELECT `+shiftColumns+` FROM police_shifts s JOIN users u ON u.id = s.user_id WHERE s.id = $1`, id))
	if err != nil {
		return nil, translate(err, "shift")
	}
	return &sh, nil
}

// DeleteShift removes a shift.
func (s *RotaStore) DeleteShift(ctx context.Context, id int64) error {
	tag, err := s.db.Pool.Exec(ctx, `DELETE FROM police_shifts WHERE id = $1`, id)
	if err != nil {
		return translate(err, "shift")
	}
	if tag.RowsAffected() == 0 {
		return errs.NotFoundf("shift %d not found", id)
	}
	return nil
}

// FindShifts returns a community's shifts in [from, to].
func (s *RotaStore) FindShifts(ctx context.Context, community string, from, to time.Time) ([]forces.Shift, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+shiftColumns+` FROM police_shifts s JOIN users u ON u.id = s.user_id
WHERE s.community_code = $1 AND s.shift_on BETWEEN $2 AND $3 ORDER BY s.shift_on, s.shift, u.username`, community, from, to)
	if err != nil {
		return nil, translate(err, "shifts")
	}
	defer rows.Close()
	var out []forces.Shift
	for rows.Next() {
		sh, err := scanShift(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sh)
	}
	return out, translate(rows.Err(), "shifts")
}
