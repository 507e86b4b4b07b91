package postgis

import (
	"context"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
	"github.com/jackc/pgx/v5"
)

// PeopleStore implements people.Store.
type PeopleStore struct{ db *DB }

var _ people.Store = (*PeopleStore)(nil)

// NewPeopleStore returns the people store on db.
func NewPeopleStore(db *DB) *PeopleStore { return &PeopleStore{db: db} }

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// CreateUser inserts u and sets its ID.
func (s *PeopleStore) CreateUser(ctx context.Context, u *people.User) error {
	err := s.db.Pool.QueryRow(ctx, `
INSERT INTO users (username, name, phone, role, department_code, scope_code, password_hash, disabled)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		u.Username, u.Name, u.Phone, string(u.Role), nullIfEmpty(u.DepartmentCode), nullIfEmpty(u.ScopeCode),
		nullIfEmpty(u.PasswordHash), u.Disabled).Scan(&u.ID)
	return translate(err, "user "+u.Username)
}

const userColumns = `id, username, name, phone, role, coalesce(department_code, ''), coalesce(scope_code, ''),
	coalesce(password_hash, ''), disabled`

func scanUser(row pgx.Row) (*people.User, error) {
	var u people.User
	var role string
	if err := row.Scan(&u.ID, &u.Username, &u.Name, &u.Phone, &role, &u.DepartmentCode, &u.ScopeCode, &u.PasswordHash, &u.Disabled); err != nil {
		return nil, err
	}
	u.Role = people.Role(role)
	return &u, nil
}

// FindUserByUsername returns the user or a not-found error.
func (s *PeopleStore) FindUserByUsername(ctx context.Context, username string) (*people.User, error) {
	u, err := scanUser(s.db.Pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE username = $1`, username))
	return u, translate(err, "user "+username)
}

// FindUserByID returns the user or a not-found error.
func (s *PeopleStore) FindUserByID(ctx context.Context, id int64) (*people.User, error) {
	u, err := scanUser(s.db.Pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	return u, translate(err, "user")
}

// FindUsers returns every user ordered by username.
func (s *PeopleStore) FindUsers(ctx context.Context) ([]*people.User, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY username`)
	if err != nil {
		return nil, translate(err, "users")
	}
	defer rows.Close()
	var out []*people.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, translate(rows.Err(), "users")
}

// SetPassword replaces a user's password hash and revokes its sessions
// and API keys.
func (s *PeopleStore) SetPassword(ctx context.Context, userID int64, hash string) error {
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, userID, hash)
		if err != nil {
			return translate(err, "user")
		}
		if tag.RowsAffected() == 0 {
			return errs.NotFoundf("user not found")
		}
		if _, err = tx.Exec(ctx, `UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, userID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE api_keys SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, userID)
		return err
	})
}

// CreateDepartment inserts d.
func (s *PeopleStore) CreateDepartment(ctx context.Context, d *people.Department) error {
	_, err := s.db.exec(ctx, `INSERT INTO departments (code, name) VALUES ($1, $2)`, d.Code, d.Name)
	return translate(err, "department "+d.Code)
}

// FindDepartments returns all departments by code.
func (s *PeopleStore) FindDepartments(ctx context.Context) ([]*people.Department, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT code, name FROM departments ORDER BY code`)
	if err != nil {
		return nil, translate(err, "departments")
	}
	defer rows.Close()
	var out []*people.Department
	for rows.Next() {
		var d people.Department
		if err := rows.Scan(&d.Code, &d.Name); err != nil {
			return nil, err
		}
		out = append(out, &d)
	}
	return out, translate(rows.Err(), "departments")
}

// CreateAssignment inserts a and sets its ID.
func (s *PeopleStore) CreateAssignment(ctx context.Context, a *people.Assignment) error {
	err := s.db.Pool.QueryRow(ctx, `
INSERT INTO grid_assignments (user_id, grid_code, grid_role, full_time, valid_from, valid_to)
VALUES ($1, $2, $3, $4, $5::date, $6::date) RETURNING id`,
		a.UserID, a.GridCode, string(a.GridRole), a.FullTime, civil(a.ValidFrom), civilPtr(a.ValidTo)).Scan(&a.ID)
	return translate(err, "assignment")
}

// EndAssignment closes an assignment at the civil date on (exclusive).
func (s *PeopleStore) EndAssignment(ctx context.Context, id int64, on time.Time) error {
	tag, err := s.db.exec(ctx, `UPDATE grid_assignments SET valid_to = $2::date WHERE id = $1 AND valid_to IS NULL`, id, civil(on))
	if err != nil {
		return translate(err, "assignment")
	}
	if tag.RowsAffected() == 0 {
		return errs.NotFoundf("open assignment %d not found", id)
	}
	return nil
}

// FindAssignments returns assignments matching f, ordered by grid, role, start.
func (s *PeopleStore) FindAssignments(ctx context.Context, f people.AssignmentFilter) ([]*people.Assignment, error) {
	var a sqlArgs
	var w []string
	if f.ID != nil {
		w = append(w, "a.id = "+a.add(*f.ID))
	}
	if f.GridCode != nil {
		w = append(w, "a.grid_code = "+a.add(*f.GridCode))
	}
	if f.UserID != nil {
		w = append(w, "a.user_id = "+a.add(*f.UserID))
	}
	if f.Role != nil {
		w = append(w, "a.grid_role = "+a.add(string(*f.Role)))
	}
	if f.On != nil {
		on := a.add(civil(*f.On)) + "::date"
		w = append(w, "a.valid_from <= "+on+" AND (a.valid_to IS NULL OR a.valid_to > "+on+")")
	}
	if f.GridCodes != nil {
		w = append(w, "a.grid_code = ANY("+a.add(f.GridCodes)+"::text[])")
	}
	rows, err := s.db.Pool.Query(ctx, `
SELECT a.id, a.user_id, u.username, u.name, a.grid_code, a.grid_role, a.full_time, a.valid_from, a.valid_to
FROM grid_assignments a JOIN users u ON u.id = a.user_id
WHERE `+and(w)+`
ORDER BY a.grid_code, a.grid_role, a.valid_from, a.id`, a.vals...)
	if err != nil {
		return nil, translate(err, "assignments")
	}
	defer rows.Close()
	var out []*people.Assignment
	for rows.Next() {
		var a people.Assignment
		var gr string
		if err := rows.Scan(&a.ID, &a.UserID, &a.Username, &a.Name, &a.GridCode, &gr, &a.FullTime, &a.ValidFrom, &a.ValidTo); err != nil {
			return nil, err
		}
		a.GridRole = people.GridRole(gr)
		out = append(out, &a)
	}
	return out, translate(rows.Err(), "assignments")
}

// civil formats t's civil date (in t's own location) for a date column.
func civil(t time.Time) string { return t.Format("2006-01-02") }

func civilPtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := civil(*t)
	return &s
}
