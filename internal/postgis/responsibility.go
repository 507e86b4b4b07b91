package postgis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/responsibility"
	"github.com/gridd/gridd/internal/workday"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb"
)

// ResponsibilityStore keeps who answers for which household or place
// (migration 00028) and the published contacts.
type ResponsibilityStore struct{ db *DB }

// NewResponsibilityStore returns the store.
func NewResponsibilityStore(db *DB) *ResponsibilityStore { return &ResponsibilityStore{db: db} }

var _ responsibility.Store = (*ResponsibilityStore)(nil)

// dateOf turns a date column's value into a civil date.
func dateOf(t time.Time) workday.Date { return workday.NewDate(t.Year(), t.Month(), t.Day()) }

// FindTarget returns a household, business or place with its point.
func (s *ResponsibilityStore) FindTarget(ctx context.Context, kind string, id int64) (*responsibility.Target, error) {
	t := responsibility.Target{Kind: kind, ID: id}
	var lon, lat *float64
	err := s.db.Pool.QueryRow(ctx, `
SELECT name, address, coalesce(grid_code, ''), ST_X(point), ST_Y(point)
FROM register_records WHERE id = $1 AND kind = $2`, id, kind).Scan(&t.Name, &t.Address, &t.GridCode, &lon, &lat)
	if err != nil {
		return nil, translate(err, fmt.Sprintf("%s %d", kind, id))
	}
	if lon != nil && lat != nil {
		t.Point = &orb.Point{*lon, *lat}
	}
	return &t, nil
}

// CreateResponsibility inserts a; in the same transaction an open-ended
// assignment of the target that started before a.ValidFrom is ended on it
// (a hand-over). Any other overlap violates the exclusion constraint: Conflict.
func (s *ResponsibilityStore) CreateResponsibility(ctx context.Context, a *responsibility.Assignment) error {
	var to *string
	if a.ValidTo != nil {
		v := a.ValidTo.String()
		to = &v
	}
	now := s.db.Now()
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT id FROM register_records WHERE id = $1 FOR UPDATE`, a.TargetID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE responsibilities SET valid_to = $2
WHERE target_id = $1 AND valid_to IS NULL AND valid_from < $2`, a.TargetID, a.ValidFrom.String()); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `
INSERT INTO responsibilities (target_kind, target_id, user_id, grid_code, valid_from, valid_to, created_by, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			a.TargetKind, a.TargetID, a.UserID, a.GridCode, a.ValidFrom.String(), to, a.CreatedBy, now).Scan(&a.ID)
	})
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.ConstraintName == "responsibilities_one_at_a_time" {
		return errs.Conflictf("responsibility_overlap", "%s %d already has someone answering for it in that span: end that assignment first", a.TargetKind, a.TargetID)
	}
	a.CreatedAt = now
	return translate(err, "responsibility")
}

// FindResponsibilities lists assignments, by grid then target then start.
func (s *ResponsibilityStore) FindResponsibilities(ctx context.Context, f responsibility.Filter) ([]*responsibility.Assignment, error) {
	var where []string
	var args []any
	if f.GridCodes != nil {
		args = append(args, f.GridCodes)
		where = append(where, fmt.Sprintf("r.grid_code = ANY($%d)", len(args)))
	}
	if f.UserID != nil {
		args = append(args, *f.UserID)
		where = append(where, fmt.Sprintf("r.user_id = $%d", len(args)))
	}
	if f.On != nil {
		args = append(args, f.On.String())
		n := len(args)
		where = append(where, fmt.Sprintf("r.valid_from <= $%d AND (r.valid_to IS NULL OR r.valid_to > $%d)", n, n))
	}
	q := `
SELECT r.id, r.target_kind, r.target_id, t.name, t.address, r.grid_code, r.user_id, u.username, u.name,
       r.valid_from, r.valid_to, coalesce(r.created_by, 0), r.created_at
FROM responsibilities r JOIN register_records t ON t.id = r.target_id JOIN users u ON u.id = r.user_id`
	if len(where) > 0 {
		q += "\nWHERE " + strings.Join(where, " AND ")
	}
	q += "\nORDER BY r.grid_code, r.target_id, r.valid_from, r.id"
	rows, err := s.db.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, translate(err, "responsibilities")
	}
	defer rows.Close()
	out := []*responsibility.Assignment{}
	for rows.Next() {
		var a responsibility.Assignment
		var from time.Time
		var to *time.Time
		if err := rows.Scan(&a.ID, &a.TargetKind, &a.TargetID, &a.TargetName, &a.TargetAddress, &a.GridCode, &a.UserID,
			&a.Username, &a.Name, &from, &to, &a.CreatedBy, &a.CreatedAt); err != nil {
			return nil, err
		}
		a.ValidFrom = dateOf(from)
		if to != nil {
			d := dateOf(*to)
			a.ValidTo = &d
		}
		out = append(out, &a)
	}
	return out, translate(rows.Err(), "responsibilities")
}

// FindByAddress lists the located households, businesses and places whose
// address, white space collapsed, equals address, with who answers on day.
// At most 50 rows: the public lookup needs no more to see an ambiguity.
func (s *ResponsibilityStore) FindByAddress(ctx context.Context, address string, day workday.Date) ([]responsibility.AddressMatch, error) {
	rows, err := s.db.Pool.Query(ctx, `
SELECT t.grid_code, coalesce(r.user_id, 0)
FROM register_records t
LEFT JOIN responsibilities r ON r.target_id = t.id AND r.valid_from <= $2 AND (r.valid_to IS NULL OR r.valid_to > $2)
WHERE t.kind IN ('household', 'business', 'place') AND t.grid_code IS NOT NULL
  AND regexp_replace(btrim(t.address), '\s+', ' ', 'g') = $1
ORDER BY t.id
LIMIT 50`, address, day.String())
	if err != nil {
		return nil, translate(err, "address lookup")
	}
	defer rows.Close()
	var out []responsibility.AddressMatch
	for rows.Next() {
		var m responsibility.AddressMatch
		if err := rows.Scan(&m.GridCode, &m.ResponsibleID); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, translate(rows.Err(), "address lookup")
}

// PublicContact returns the contact published for a user, "" when none.
func (s *ResponsibilityStore) PublicContact(ctx context.Context, userID int64) (string, error) {
	var c string
	err := s.db.Pool.QueryRow(ctx, `SELECT contact FROM public_contacts WHERE user_id = $1`, userID).Scan(&c)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return c, translate(err, "public contact")
}

// SetPublicContact publishes contact for a user; "" withdraws it.
func (s *ResponsibilityStore) SetPublicContact(ctx context.Context, userID int64, contact string, by int64) error {
	if contact == "" {
		_, err := s.db.Pool.Exec(ctx, `DELETE FROM public_contacts WHERE user_id = $1`, userID)
		return translate(err, "public contact")
	}
	_, err := s.db.Pool.Exec(ctx, `
INSERT INTO public_contacts (user_id, contact, updated_by, updated_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (user_id) DO UPDATE SET contact = EXCLUDED.contact, updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at`,
		userID, contact, by, s.db.Now())
	return translate(err, "public contact")
}
