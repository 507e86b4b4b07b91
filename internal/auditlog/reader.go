package auditlog

import (
	"context"
	"net/http"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
)

// EntryFinder lists stored entries (the PostgreSQL store is one).
type EntryFinder interface {
	FindEntries(ctx context.Context, f Filter) ([]*Entry, error)
}

// Reader lists audit entries to admins only; every listing is itself an
// audited read (no audit, no listing).
type Reader struct {
	Store EntryFinder
	Audit Recorder
}

// Entries returns the entries f selects, newest first, to p.
func (r *Reader) Entries(ctx context.Context, p *auth.Principal, f Filter) ([]*Entry, error) {
	if err := p.RequireRole(people.RoleAdmin); err != nil {
		return nil, err
	}
	if r.Store == nil || r.Audit == nil {
		return nil, errs.E(errs.Internal, "audit_unavailable", "the audit log cannot be read")
	}
	es, err := r.Store.FindEntries(ctx, f)
	if err != nil {
		return nil, err
	}
	actor := Actor{ID: p.User.ID, Username: p.User.Username, Role: string(p.User.Role)}
	if err := r.Audit.Record(ctx, Access(ctx, actor, ActionRead, "audit-log", "", "", http.StatusOK)); err != nil {
		return nil, err
	}
	if es == nil {
		es = []*Entry{}
	}
	return es, nil
}
