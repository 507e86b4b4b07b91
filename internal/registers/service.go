package registers

import (
	"context"
	"fmt"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/paulmach/orb"
)

// CanWrite says whether the caller may write records of grid code ("" =
// outside every grid).
type CanWrite func(gridCode string) bool

func invalid(fs []errs.Field, format string, args ...any) error {
	return (&errs.Error{Kind: errs.Invalid, Reason: "invalid_record", Msg: fmt.Sprintf(format, args...)}).WithFields(fs...)
}

// place resolves r's point and grid: a person follows its household.
func (s *Service) place(ctx context.Context, r *Record) error {
	if r.Kind == Person {
		h, err := s.Store.FindRecord(ctx, Household, *r.HouseholdID)
		if errs.Is(err, errs.NotFound) {
			return errs.Invalidf("household_id", "household_missing", "household %d does not exist", *r.HouseholdID)
		}
		if err != nil {
			return err
		}
		r.Point, r.GridCode = nil, h.GridCode
		return nil
	}
	p := locationPoint(r.Geometry)
	r.Point = &p
	codes, err := s.Locate(ctx, []orb.Point{p})
	if err != nil {
		return err
	}
	r.GridCode = codes[0]
	return nil
}

// Create validates, locates and stores one record as p (who must be
// allowed to write the grid the record falls in).
func (s *Service) Create(ctx context.Context, p *auth.Principal, r *Record) error {
	if err := requireWriter(p); err != nil {
		return err
	}
	canWrite := s.CanWrite(p)
	if fs := Validate(r); len(fs) > 0 {
		return invalid(fs, "the %s is invalid", r.Kind)
	}
	if err := checkShape(r.Geometry); err != nil {
		return err
	}
	if err := s.place(ctx, r); err != nil {
		return err
	}
	if !canWrite(r.GridCode) {
		return errs.Forbiddenf("the record falls in grid %q, outside your scope", r.GridCode)
	}
	ids, err := s.Store.NextRecordIDs(ctx, 1)
	if err != nil {
		return err
	}
	r.ID = ids[0]
	s.seal(r)
	now := s.now()
	r.CreatedAt, r.UpdatedAt = now, now
	return s.Store.CreateRecords(ctx, []*Record{r})
}

func (s *Service) seal(r *Record) {
	if r.IDNumber != "" {
		r.IDNumberEnc = s.Cipher.Seal(r.IDNumber, AD("register_records", r.ID, "id_number"))
		r.IDNumberMask = MaskIDNumber(r.IDNumber)
		r.IDNumber = ""
	}
}

// Update replaces the editable fields of an existing record with those of
// upd (moving it re-assigns its grid). p must be allowed to write both
// the old and the new grid.
func (s *Service) Update(ctx context.Context, p *auth.Principal, upd *Record) error {
	if err := requireWriter(p); err != nil {
		return err
	}
	canWrite := s.CanWrite(p)
	old, err := s.Store.FindRecord(ctx, upd.Kind, upd.ID)
	if err != nil {
		return err
	}
	if !canWrite(old.GridCode) {
		return errs.Forbiddenf("record %d is in grid %q, outside your scope", old.ID, old.GridCode)
	}
	if fs := Validate(upd); len(fs) > 0 {
		return invalid(fs, "the %s is invalid", upd.Kind)
	}
	if err := checkShape(upd.Geometry); err != nil {
		return err
	}
	if err := s.place(ctx, upd); err != nil {
		return err
	}
	if !canWrite(upd.GridCode) {
		return errs.Forbiddenf("the record would move to grid %q, outside your scope", upd.GridCode)
	}
	if upd.IDNumber != "" {
		s.seal(upd)
	} else {
		upd.IDNumberEnc, upd.IDNumberMask = old.IDNumberEnc, old.IDNumberMask
	}
	upd.CreatedAt, upd.UpdatedAt = old.CreatedAt, s.now()
	return s.Store.UpdateRecord(ctx, upd)
}

// Delete removes a record (a household with people is refused).
func (s *Service) Delete(ctx context.Context, p *auth.Principal, kind Kind, id int64) error {
	if err := requireWriter(p); err != nil {
		return err
	}
	canWrite := s.CanWrite(p)
	old, err := s.Store.FindRecord(ctx, kind, id)
	if err != nil {
		return err
	}
	if !canWrite(old.GridCode) {
		return errs.Forbiddenf("record %d is in grid %q, outside your scope", id, old.GridCode)
	}
	return s.Store.DeleteRecord(ctx, kind, id)
}

// ReassignResult counts what Reassign moved.
type ReassignResult struct {
	Records    int `json:"records"`
	KeyPersons int `json:"key_persons"`
}

// Reassign re-locates every located record and key person against the
// current grids and moves those whose grid changed (people follow their
// households). Call it after a committed grid change, once the
// point-in-grid index is refreshed.
func (s *Service) Reassign(ctx context.Context) (ReassignResult, error) {
	recs, kps, err := s.Store.LocatedRecords(ctx)
	if err != nil {
		return ReassignResult{}, err
	}
	diff := func(ls []Located) (map[int64]string, error) {
		pts := make([]orb.Point, len(ls))
		for i, l := range ls {
			pts[i] = l.Point
		}
		codes, err := s.Locate(ctx, pts)
		if err != nil {
			return nil, err
		}
		out := map[int64]string{}
		for i, l := range ls {
			if codes[i] != l.GridCode {
				out[l.ID] = codes[i]
			}
		}
		return out, nil
	}
	rm, err := diff(recs)
	if err != nil {
		return ReassignResult{}, err
	}
	km, err := diff(kps)
	if err != nil {
		return ReassignResult{}, err
	}
	// SetGrids also rebuilds the per-grid counts, which follow the grid
	// tree even where no record moved.
	return ReassignResult{Records: len(rm), KeyPersons: len(km)}, s.Store.SetGrids(ctx, rm, km)
}
