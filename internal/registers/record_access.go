package registers

import (
	"context"
	"strconv"

	"github.com/gridd/gridd/internal/auditlog"
	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
)

// List returns the records of f.Kind that p may read matching f, and the
// total count. Reading the people register needs a personal role and is
// audited.
func (s *Service) List(ctx context.Context, p *auth.Principal, f Filter) ([]*Record, int, error) {
	object := "registers:" + string(f.Kind)
	if f.Kind == Person {
		if err := s.requirePersonal(ctx, p, auditlog.ActionRead, object); err != nil {
			return nil, 0, err
		}
	}
	within, err := s.scopeGrid(p, f.GridCode)
	if err != nil {
		if f.Kind == Person {
			return nil, 0, s.refuse(ctx, p, auditlog.ActionRead, object, *f.GridCode, err)
		}
		return nil, 0, err
	}
	f.Within = within
	recs, total, err := s.Store.FindRecords(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	if f.Kind == Person {
		grid := ""
		if f.GridCode != nil {
			grid = *f.GridCode
		}
		if err := s.audit(ctx, p, auditlog.ActionRead, object, grid, "", 200); err != nil {
			return nil, 0, err
		}
	}
	return recs, total, nil
}

// Get returns one record p may read; reading a person is audited, and so
// is a refused one.
func (s *Service) Get(ctx context.Context, p *auth.Principal, kind Kind, id int64) (*Record, error) {
	rec, err := s.find(ctx, p, kind, id)
	if err != nil {
		return nil, err
	}
	if kind == Person {
		if err := s.audit(ctx, p, auditlog.ActionRead, "person:"+strconv.FormatInt(id, 10), rec.GridCode, "", 200); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

// find loads a record p may read (refusals of people audited), without
// auditing the read itself (the caller is about to change it).
func (s *Service) find(ctx context.Context, p *auth.Principal, kind Kind, id int64) (*Record, error) {
	object := "person:" + strconv.FormatInt(id, 10)
	if kind == Person {
		if err := s.requirePersonal(ctx, p, auditlog.ActionRead, object); err != nil {
			return nil, err
		}
	}
	rec, err := s.Store.FindRecord(ctx, kind, id)
	if err != nil {
		return nil, err
	}
	if !s.CanRead(p, rec.GridCode) {
		refusal := errs.Forbiddenf("%s %d is in grid %q, outside your scope", kind, id, rec.GridCode)
		if kind == Person {
			return nil, s.refuse(ctx, p, auditlog.ActionRead, object, rec.GridCode, refusal)
		}
		return nil, refusal
	}
	return rec, nil
}

// Editable returns the record p is about to edit: p must write records
// and read this one.
func (s *Service) Editable(ctx context.Context, p *auth.Principal, kind Kind, id int64) (*Record, error) {
	if err := requireWriter(p); err != nil {
		return nil, err
	}
	return s.find(ctx, p, kind, id)
}
