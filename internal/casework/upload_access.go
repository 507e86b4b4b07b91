package casework

import (
	"context"
	"slices"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
)

// uploaders may add photos: every role that reports, handles or inspects
// (viewers only read).
var uploaders = append([]people.Role{people.RoleAdmin, people.RoleCenter, people.RoleWorker, people.RoleDepartment}, people.FieldForces...)

// Uploads keeps the photos and decides who may add and read them: anyone
// but a viewer adds; a photo is read by its uploader, by who may read its
// case, or (not yet on a case) by who may read a visit it shows.
type Uploads struct {
	Store  UploadStore
	Budget *DecodeBudget // nil: unbounded decoding
	Cases  *Service
	// VisitPhoto reports whether p may read photo id as a visit's (nil: none).
	VisitPhoto func(ctx context.Context, p *auth.Principal, id int64) (bool, error)
}

// Create reads the photo (read is called only once p may upload), cleans
// it within the decode budget and stores it as p's under the idempotency
// key (a retry answers the photo stored first, Replayed set).
func (u *Uploads) Create(ctx context.Context, p *auth.Principal, read func() ([]byte, error), key string) (*Photo, error) {
	if !slices.Contains(uploaders, p.Role()) {
		return nil, errs.Forbiddenf("role %s may not do this", p.Role())
	}
	data, err := read()
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, errs.Invalidf("file", "file_required", "the body is empty: send the JPEG or PNG bytes")
	}
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	ph, err := u.Budget.Clean(ctx, data)
	if err != nil {
		return nil, err
	}
	ph.OwnerID, ph.Key = p.User.ID, key
	if err := u.Store.CreateUpload(ctx, ph); err != nil {
		return nil, err
	}
	return ph, nil
}

// Get returns photo id when p may read it.
func (u *Uploads) Get(ctx context.Context, p *auth.Principal, id int64) (*Photo, error) {
	ph, err := u.Store.FindUpload(ctx, id)
	if err != nil {
		return nil, err
	}
	if ph.OwnerID == p.User.ID {
		return ph, nil
	}
	if ph.CaseID == 0 {
		if u.VisitPhoto != nil {
			ok, err := u.VisitPhoto(ctx, p, id)
			if err != nil {
				return nil, err
			}
			if ok {
				return ph, nil
			}
		}
		return nil, errs.Forbiddenf("upload %d is not yours", id)
	}
	if _, err := u.Cases.Get(ctx, p, ph.CaseID); err != nil {
		if errs.Is(err, errs.Forbidden) {
			return nil, errs.Forbiddenf("upload %d belongs to a case outside your scope", id)
		}
		return nil, err
	}
	return ph, nil
}
