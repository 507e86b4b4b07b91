package auth

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
)

// PermissionRequest asks to set a user's explicit permissions to
// Permissions. One that adds a sensitive permission takes effect only when
// a second admin — neither the requester nor the user concerned — approves it.
type PermissionRequest struct {
	ID          int64      `json:"id"`
	Username    string     `json:"username"`
	Permissions []string   `json:"permissions"`
	RequestedBy string     `json:"requested_by"`
	RequestedAt time.Time  `json:"requested_at"`
	DecidedBy   string     `json:"decided_by,omitempty"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
	Approved    *bool      `json:"approved,omitempty"`
	// Status is pending, approved, rejected or applied (a change that
	// needed no approval).
	Status string `json:"status"`

	requesterID int64
}

// GrantStore keeps explicit permissions and requests to change them.
type GrantStore interface {
	FindUserPermissions(ctx context.Context, username string) ([]string, error)
	SetUserPermissions(ctx context.Context, username string, perms []string) error
	CreatePermissionRequest(ctx context.Context, r *PermissionRequest, requesterID int64) error
	FindPermissionRequest(ctx context.Context, id int64) (*PermissionRequest, error)
	FindPermissionRequests(ctx context.Context, pendingOnly bool) ([]*PermissionRequest, error)
	// DecidePermissionRequest records the decision of a pending request and,
	// when approved, sets the permissions, in one transaction; Conflict
	// when it was decided already.
	DecidePermissionRequest(ctx context.Context, id, deciderID int64, approved bool, at time.Time) error
}

// Grants changes users' explicit permissions (admin only): removing any or
// adding an ordinary one applies at once; adding a Sensitive one makes a
// pending request that another admin approves or rejects.
type Grants struct {
	Store     GrantStore
	Known     []string // every explicit permission
	Sensitive []string // those needing a second admin
	Now       func() time.Time
}

// SetPermissions sets username's permissions to perms, or requests it.
func (g *Grants) SetPermissions(ctx context.Context, p *Principal, username string, perms []string) (*PermissionRequest, error) {
	if err := p.RequireRole(people.RoleAdmin); err != nil {
		return nil, err
	}
	for i, perm := range perms {
		if !slices.Contains(g.Known, perm) {
			return nil, &errs.Error{Kind: errs.Invalid, Reason: "unknown_permission", Msg: "unknown permission " + perm, Allowed: g.Known,
				Fields: []errs.Field{{Field: "permissions[" + strconv.Itoa(i) + "]", Reason: "unknown_permission", Detail: "want one of " + strings.Join(g.Known, ", ")}}}
		}
	}
	perms = slices.Compact(slices.Sorted(slices.Values(perms)))
	had, err := g.Store.FindUserPermissions(ctx, username)
	if err != nil {
		return nil, err
	}
	req := &PermissionRequest{Username: username, Permissions: perms, RequestedBy: p.User.Username, RequestedAt: g.Now()}
	for _, perm := range perms {
		if slices.Contains(g.Sensitive, perm) && !slices.Contains(had, perm) {
			req.Status = "pending"
			if err := g.Store.CreatePermissionRequest(ctx, req, p.User.ID); err != nil {
				return nil, err
			}
			return req, nil
		}
	}
	if err := g.Store.SetUserPermissions(ctx, username, perms); err != nil {
		return nil, err
	}
	req.Status = "applied"
	return req, nil
}

// PermissionRequests lists requests (pending ones only, or all).
func (g *Grants) PermissionRequests(ctx context.Context, p *Principal, pendingOnly bool) ([]*PermissionRequest, error) {
	if err := p.RequireRole(people.RoleAdmin); err != nil {
		return nil, err
	}
	return g.Store.FindPermissionRequests(ctx, pendingOnly)
}

// Decide approves or rejects request id. The requester and the user
// concerned may not decide it: 403 second_admin_required.
func (g *Grants) Decide(ctx context.Context, p *Principal, id int64, approve bool) (*PermissionRequest, error) {
	if err := p.RequireRole(people.RoleAdmin); err != nil {
		return nil, err
	}
	r, err := g.Store.FindPermissionRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.requesterID == p.User.ID || r.Username == p.User.Username {
		return nil, errs.E(errs.Forbidden, "second_admin_required",
			"a grant of %s must be decided by another admin than the one who asked for it and the one who gets it", strings.Join(r.Permissions, ", "))
	}
	if err := g.Store.DecidePermissionRequest(ctx, id, p.User.ID, approve, g.Now()); err != nil {
		return nil, err
	}
	return g.Store.FindPermissionRequest(ctx, id)
}

// SetRequester is for stores: it records who asked for r.
func (r *PermissionRequest) SetRequester(id int64) { r.requesterID = id }
