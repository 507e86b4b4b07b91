package registers

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gridd/gridd/internal/auditlog"
	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
)

func kpObject(id int64) string { return "keyperson:" + strconv.FormatInt(id, 10) }

// List returns the files p may read matching f (masked), and the total
// count. The read is audited; so is a refused one.
func (s *KeyPersons) List(ctx context.Context, p *auth.Principal, f KeyPersonFilter) ([]*KeyPerson, int, error) {
	grid := ""
	if f.GridCode != nil {
		grid = *f.GridCode
	}
	if err := s.requirePersonal(ctx, p, auditlog.ActionRead, "keypersons"); err != nil {
		return nil, 0, err
	}
	within, err := s.scopeGrid(p, f.GridCode)
	if err != nil {
		return nil, 0, s.refuse(ctx, p, auditlog.ActionRead, "keypersons", grid, err)
	}
	f.Within = within
	ks, total, err := s.Store.FindKeyPersons(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	if err := s.audit(ctx, p, auditlog.ActionRead, "keypersons", grid, "", 200); err != nil {
		return nil, 0, err
	}
	return ks, total, nil
}

// Get returns file id, masked, if p may read it. The read is audited; so
// is a refused one.
func (s *KeyPersons) Get(ctx context.Context, p *auth.Principal, id int64) (*KeyPerson, error) {
	k, err := s.find(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := s.audit(ctx, p, auditlog.ActionRead, kpObject(id), k.GridCode, "", 200); err != nil {
		return nil, err
	}
	return k, nil
}

// find loads a file p may read; a refusal is audited.
func (s *KeyPersons) find(ctx context.Context, p *auth.Principal, id int64) (*KeyPerson, error) {
	if err := s.requirePersonal(ctx, p, auditlog.ActionRead, kpObject(id)); err != nil {
		return nil, err
	}
	k, err := s.Store.FindKeyPerson(ctx, id)
	if err != nil {
		return nil, err
	}
	if !s.CanRead(p, k.GridCode) {
		return nil, s.refuse(ctx, p, auditlog.ActionRead, kpObject(id), k.GridCode,
			errs.Forbiddenf("key person %d belongs to grid %s, outside your scope", id, k.GridCode))
	}
	return k, nil
}

// Visits returns file id and its visit log (notes sealed), audited.
func (s *KeyPersons) Visits(ctx context.Context, p *auth.Principal, id int64) (*KeyPerson, []*Visit, error) {
	k, err := s.find(ctx, p, id)
	if err != nil {
		return nil, nil, err
	}
	vs, err := s.Store.FindVisits(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if err := s.audit(ctx, p, auditlog.ActionRead, kpObject(id)+":visits", k.GridCode, "", 200); err != nil {
		return nil, nil, err
	}
	return k, vs, nil
}

// Unmasked returns file id with its protected fields and visit notes
// decrypted. p needs PermUnmask on top of reading the file, and states a
// reason (4 to 500 characters); the audit entry with the reason is stored
// before anything is decrypted, and a refusal is audited too.
func (s *KeyPersons) Unmasked(ctx context.Context, p *auth.Principal, id int64, reason string) (*KeyPerson, []*Visit, error) {
	k, err := s.find(ctx, p, id)
	if err != nil {
		return nil, nil, err
	}
	ok, err := s.CanUnmask(ctx, p.User.ID)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, s.refuse(ctx, p, auditlog.ActionUnmask, kpObject(id), k.GridCode,
			errs.E(errs.Forbidden, "permission_required", "reading a key person unmasked needs the %s permission", PermUnmask))
	}
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) < 4 || len(reason) > 500 {
		return nil, nil, errs.Invalidf("reason", "reason_required", "state why you need the unmasked file (4 to 500 characters) in ?reason=")
	}
	if err := s.audit(ctx, p, auditlog.ActionUnmask, kpObject(id), k.GridCode, reason, 200); err != nil {
		return nil, nil, err
	}
	if err := s.open(k); err != nil {
		return nil, nil, err
	}
	vs, err := s.Store.FindVisits(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	for _, v := range vs {
		if v.Notes, err = s.OpenVisitNotes(v); err != nil {
			return nil, nil, err
		}
	}
	return k, vs, nil
}

// findResponsible finds the user a file is to be handed to.
func (s *KeyPersons) findResponsible(ctx context.Context, username string) (*people.User, error) {
	u, err := s.Users.FindUserByUsername(ctx, username)
	if errs.Is(err, errs.NotFound) {
		return nil, errs.Invalidf("responsible", "user_missing", "no user %q", username)
	}
	return u, err
}

// checkResponsible refuses a file whose responsible user could not act on
// it in grid (a viewer, a department, a worker of another grid, a center
// of another scope).
func (s *KeyPersons) checkResponsible(ctx context.Context, userID int64, grid string) error {
	if userID <= 0 {
		return errs.Invalidf("responsible", "responsible_required", "one file, one responsible person: name the responsible user")
	}
	u, err := s.Users.FindUserByID(ctx, userID)
	if errs.Is(err, errs.NotFound) {
		return errs.Invalidf("responsible", "user_missing", "no user with id %d", userID)
	}
	if err != nil {
		return err
	}
	rp, err := s.PrincipalFor(ctx, u)
	if err != nil {
		return err
	}
	if !s.CanWrite(rp)(grid) {
		return (&errs.Error{Kind: errs.Unprocessable, Reason: "responsible_cannot_act",
			Msg: "the responsible user " + u.Username + " (" + string(u.Role) + ") cannot act on files of grid " + grid}).
			WithFields(errs.Field{Field: "responsible", Reason: "responsible_cannot_act",
				Detail: "hand the file to an admin, a center over grid " + grid + " or a worker of that grid"})
	}
	return nil
}
