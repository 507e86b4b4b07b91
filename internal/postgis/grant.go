package postgis

import (
	"context"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/jackc/pgx/v5"
)

// GrantStore implements auth.GrantStore.
type GrantStore struct{ db *DB }

var _ auth.GrantStore = (*GrantStore)(nil)

// NewGrantStore returns the grant store on db.
func NewGrantStore(db *DB) *GrantStore { return &GrantStore{db: db} }

// FindUserPermissions returns a user's explicit permissions.
func (s *GrantStore) FindUserPermissions(ctx context.Context, username string) ([]string, error) {
	var ps []string
	err := s.db.Pool.QueryRow(ctx, `SELECT permissions FROM users WHERE username = $1`, username).Scan(&ps)
	return ps, translate(err, "user "+username)
}

// SetUserPermissions replaces a user's explicit permissions.
func (s *GrantStore) SetUserPermissions(ctx context.Context, username string, perms []string) error {
	return (&KeyPersonStore{db: s.db}).SetUserPermissions(ctx, username, perms) // no sealed fields involved
}

// CreatePermissionRequest stores a pending request and sets its ID.
func (s *GrantStore) CreatePermissionRequest(ctx context.Context, r *auth.PermissionRequest, requesterID int64) error {
	err := s.db.Pool.QueryRow(ctx, `
INSERT INTO permission_requests (username, permissions, requested_by, requested_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		r.Username, r.Permissions, requesterID, r.RequestedAt).Scan(&r.ID)
	r.SetRequester(requesterID)
	return translate(err, "user "+r.Username)
}

const permissionRequestSQL = `
SELECT r.id, r.username, r.permissions, r.requested_by, q.username, r.requested_at, coalesce(d.username, ''), r.decided_at, r.approved
FROM permission_requests r JOIN users q ON q.id = r.requested_by LEFT JOIN users d ON d.id = r.decided_by`

func scanPermissionRequest(row pgx.Row) (*auth.PermissionRequest, error) {
	var r auth.PermissionRequest
	var requester int64
	if err := row.Scan(&r.ID, &r.Username, &r.Permissions, &requester, &r.RequestedBy, &r.RequestedAt, &r.DecidedBy, &r.DecidedAt, &r.Approved); err != nil {
		return nil, err
	}
	r.SetRequester(requester)
	switch {
	case r.Approved == nil:
		r.Status = "pending"
	case *r.Approved:
		r.Status = "approved"
	default:
		r.Status = "rejected"
	}
	return &r, nil
}

// FindPermissionRequest returns one request.
func (s *GrantStore) FindPermissionRequest(ctx context.Context, id int64) (*auth.PermissionRequest, error) {
	r, err := scanPermissionRequest(s.db.Pool.QueryRow(ctx, permissionRequestSQL+` WHERE r.id = $1`, id))
	return r, translate(err, "permission request")
}

// FindPermissionRequests lists requests, newest first.
func (s *GrantStore) FindPermissionRequests(ctx context.Context, pendingOnly bool) ([]*auth.PermissionRequest, error) {
	q := permissionRequestSQL
	if pendingOnly {
		q += ` WHERE r.decided_at IS NULL`
	}
	rows, err := s.db.Pool.Query(ctx, q+` ORDER BY r.id DESC LIMIT 500`)
	if err != nil {
		return nil, translate(err, "permission requests")
	}
	defer rows.Close()
	out := []*auth.PermissionRequest{}
	for rows.Next() {
		r, err := scanPermissionRequest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, translate(rows.Err(), "permission requests")
}

// DecidePermissionRequest decides a pending request and applies an
// approval, in one transaction. The table's CHECK refuses a decider who is
// the requester whatever the caller.
func (s *GrantStore) DecidePermissionRequest(ctx context.Context, id, deciderID int64, approved bool, at time.Time) error {
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		var username string
		var perms []string
		err := tx.QueryRow(ctx, `
UPDATE permission_requests SET decided_by = $2, decided_at = $3, approved = $4
WHERE id = $1 AND decided_at IS NULL RETURNING username, permissions`, id, deciderID, at, approved).Scan(&username, &perms)
		if err == pgx.ErrNoRows {
			return errs.Conflictf("request_decided", "permission request %d is decided already (or does not exist)", id)
		}
		if err != nil {
			return translate(err, "permission request")
		}
		if !approved {
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE users SET permissions = $2 WHERE username = $1`, username, perms)
		return translate(err, "user "+username)
	})
}
