package visits

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/workday"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
)

// Limits of a visit.
const (
	MaxNotes  = 2000
	MaxPhotos = 9
	MaxKey    = 200
	// DefaultToleranceM is how far from the target a visit may be recorded
	// and still count as on site.
	DefaultToleranceM = 150
)

// Service records visits and says what is due.
type Service struct {
	Store  Store
	People people.Store
	Tree   func() auth.Hierarchy
	// ToleranceM: see DefaultToleranceM (0: the default).
	ToleranceM float64
	// KeyPersonLedger also writes a key person's visit into its sealed
	// visit log (registers.KeyPersons.AddVisit; nil: not written). The
	// notes of a key-person visit go only there, sealed.
	KeyPersonLedger func(ctx context.Context, keyPersonID, visitorID int64, day time.Time, notes string) error
	Now             func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// Tolerance is how far from its target a visit counts as on site (metres).
func (s *Service) Tolerance() float64 {
	if s.ToleranceM > 0 {
		return s.ToleranceM
	}
	return DefaultToleranceM
}

// Input is a visit as a client sends it. Lon/Lat are WGS84 (the HTTP
// layer converts other systems).
type Input struct {
	TargetKind string
	TargetID   int64
	VisitedAt  *time.Time // nil: now
	Lon, Lat   *float64
	Notes      string
	PhotoIDs   []int64
	Key        string // Idempotency-Key
}

func (in Input) hash() []byte {
	b, _ := json.Marshal(in)
	h := sha256.Sum256(b)
	return h[:]
}

// Record stores a visit by the caller: a worker to a target in its grids,
// a center or admin in its scope (others 403). The place is checked
// against the target's location (see the package doc). A retry under the
// same Idempotency-Key answers with the visit stored first.
func (s *Service) Record(ctx context.Context, p *auth.Principal, in Input) (*Visit, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter, people.RoleWorker); err != nil {
		return nil, err
	}
	var bad []errs.Field
	add := func(field, reason, detail string) {
		bad = append(bad, errs.Field{Field: field, Reason: reason, Detail: detail})
	}
	if !slices.Contains(TargetKinds, in.TargetKind) {
		add("target.kind", "invalid_target_kind", "want one of "+strings.Join(TargetKinds, ", "))
	}
	if in.TargetID <= 0 {
		add("target.id", "invalid_id", "want the target's positive id")
	}
	now := s.now()
	at := now
	if in.VisitedAt != nil {
		at = *in.VisitedAt
		if at.After(now.Add(5 * time.Minute)) {
			add("visited_at", "time_in_future", "the visit time lies in the future")
		}
		if at.Before(now.AddDate(0, 0, -31)) {
			add("visited_at", "time_too_old", "a visit is recorded within 31 days")
		}
	}
	if in.Lon == nil || in.Lat == nil {
		add("location", "location_required", "give lon and lat where the visit took place")
	} else if !(*in.Lon >= -180 && *in.Lon <= 180 && *in.Lat >= -90 && *in.Lat <= 90) || (*in.Lon == 0 && *in.Lat == 0) {
		add("location", "invalid_location", "want lon in [-180, 180] and lat in [-90, 90]")
	}
	if utf8.RuneCountInString(in.Notes) > MaxNotes {
		add("notes", "notes_too_long", fmt.Sprintf("at most %d characters", MaxNotes))
	}
	if len(in.PhotoIDs) > MaxPhotos {
		add("photo_ids", "too_many_photos", fmt.Sprintf("at most %d photos", MaxPhotos))
	}
	for i, id := range in.PhotoIDs {
		if id <= 0 || slices.Index(in.PhotoIDs, id) != i {
			add(fmt.Sprintf("photo_ids[%d]", i), "invalid_photo", "want distinct upload ids from POST /api/v1/uploads")
		}
	}
	if len(in.Key) > MaxKey {
		add("Idempotency-Key", "invalid_idempotency_key", fmt.Sprintf("at most %d characters", MaxKey))
	}
	if len(bad) > 0 {
		return nil, errs.E(errs.Invalid, "invalid_visit", "%s: %s", bad[0].Field, bad[0].Detail).WithFields(bad...)
	}
	t, err := s.Store.FindTarget(ctx, in.TargetKind, in.TargetID)
	if err != nil {
		return nil, err
	}
	if t.GridCode == "" && p.User.Role != people.RoleAdmin {
		return nil, errs.Forbiddenf("%s %d lies outside every grid", t.Kind, t.ID)
	}
	if t.GridCode != "" && !p.CanReadGrid(s.Tree(), t.GridCode) {
		return nil, errs.Forbiddenf("%s %d lies in grid %s, outside your scope", t.Kind, t.ID, t.GridCode)
	}
	if len(in.PhotoIDs) > 0 {
		n, err := s.Store.PhotosOwned(ctx, in.PhotoIDs, p.User.ID)
		if err != nil {
			return nil, err
		}
		if n != len(in.PhotoIDs) {
			return nil, errs.Invalidf("photo_ids", "unknown_photo", "every photo must be one you uploaded (POST /api/v1/uploads)")
		}
	}
	pt := orb.Point{*in.Lon, *in.Lat}
	v := &Visit{TargetKind: t.Kind, TargetID: t.ID, TargetName: t.Name, VisitorID: p.User.ID, VisitorName: p.User.Name,
		GridCode: t.GridCode, VisitedAt: at, VisitedOn: workday.DateOf(at), Point: pt, OnSite: true,
		Notes: in.Notes, PhotoIDs: in.PhotoIDs, Key: in.Key, Hash: in.hash(), CreatedAt: now}
	if v.PhotoIDs == nil {
		v.PhotoIDs = []int64{}
	}
	if t.Point != nil {
		d := math.Round(geo.Distance(pt, *t.Point)*10) / 10
		v.DistanceM = &d
		v.OnSite = d <= s.Tolerance()
	}
	ledgerNotes := ""
	if t.Kind == "key_person" {
		if !v.OnSite {
			// The sealed log keeps only visits that took place.
			return nil, errs.E(errs.Unprocessable, "visit_not_on_site", "recorded %.0f m from the key person's address: record the visit there (within %.0f m)", *v.DistanceM, s.Tolerance()).
				WithFields(errs.Field{Field: "location", Reason: "visit_not_on_site", Detail: fmt.Sprintf("within %.0f m of the address", s.Tolerance())})
		}
		// A key person's notes are protected: only the sealed ledger keeps them.
		ledgerNotes, v.Notes = v.Notes, ""
	}
	if err := s.Store.CreateVisit(ctx, v); err != nil {
		return nil, err
	}
	if t.Kind == "key_person" && !v.Replayed && s.KeyPersonLedger != nil {
		if err := s.KeyPersonLedger(ctx, t.ID, p.User.ID, v.VisitedOn.Start(), ledgerNotes); err != nil {
			return nil, fmt.Errorf("key person visit log: %w", err)
		}
	}
	return v, nil
}

// DueQuery is what GET /api/v1/visits/due asks.
type DueQuery struct {
	Grid   string // a grid code: its subtree ("" = the caller's scope)
	Worker string // a username ("" = anyone; a worker: itself)
}

// Due lists the targets the caller may see that are scheduled for a visit,
// overdue first (most days overdue first), then by due date. A worker sees
// its own grids only and may not ask for another worker.
func (s *Service) Due(ctx context.Context, p *auth.Principal, q DueQuery) ([]*Due, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter, people.RoleViewer, people.RoleWorker); err != nil {
		return nil, err
	}
	h := s.Tree()
	if q.Grid != "" && !p.CanReadGrid(h, q.Grid) {
		return nil, errs.Forbiddenf("grid %s is outside your scope", q.Grid)
	}
	today := workday.DateOf(s.now())
	f := DueFilter{On: today}
	if q.Worker != "" {
		u, err := s.People.FindUserByUsername(ctx, q.Worker)
		if err != nil {
			if errs.Is(err, errs.NotFound) {
				return nil, errs.Invalidf("worker", "unknown_user", "no user %q", q.Worker)
			}
			return nil, err
		}
		if p.User.Role == people.RoleWorker && u.ID != p.User.ID {
			return nil, errs.Forbiddenf("a worker sees only its own visits")
		}
		f.UserID = &u.ID
	}
	rows, err := s.Store.Scheduled(ctx, f)
	if err != nil {
		return nil, err
	}
	sch, err := s.Store.Schedules(ctx)
	if err != nil {
		return nil, err
	}
	out := []*Due{}
	for _, r := range rows {
		if !p.CanReadGrid(h, r.GridCode) {
			continue
		}
		if q.Grid != "" && r.GridCode != q.Grid && !h.IsWithin(r.GridCode, q.Grid) {
			continue
		}
		sc, ok := ScheduleFor(sch, r.Kind, r.Category)
		if !ok {
			continue
		}
		from := r.Since
		if r.LastVisit != nil && r.LastVisit.After(from) {
			from = *r.LastVisit
		}
		d := &Due{Scheduled: *r, Schedule: sc, DueOn: sc.Next(from)}
		if d.DueOn.Before(today) {
			d.Overdue = true
			d.DaysOverdue = int(today.Start().Sub(d.DueOn.Start()).Hours()/24 + 0.5)
		}
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Overdue != b.Overdue {
			return a.Overdue
		}
		if c := a.DueOn.Compare(b.DueOn); c != 0 {
			return c < 0
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.ID < b.ID
	})
	return out, nil
}

// ScheduleFor returns the schedule of a kind and category: the category's
// own row, else the kind's.
func ScheduleFor(ss []Schedule, kind, category string) (Schedule, bool) {
	var def *Schedule
	for i := range ss {
		if ss[i].TargetKind != kind {
			continue
		}
		if category != "" && ss[i].Category == category {
			return ss[i], true
		}
		if ss[i].Category == "" {
			def = &ss[i]
		}
	}
	if def == nil {
		return Schedule{}, false
	}
	return *def, true
}

// Schedules returns the configured schedules (any signed-in role but
// department may read them).
func (s *Service) Schedules(ctx context.Context, p *auth.Principal) ([]Schedule, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter, people.RoleViewer, people.RoleWorker); err != nil {
		return nil, err
	}
	return s.Store.Schedules(ctx)
}

// ReplaceSchedules sets every schedule at once (admin). Each kind keeps a
// row without category (its default).
func (s *Service) ReplaceSchedules(ctx context.Context, p *auth.Principal, ss []Schedule) ([]Schedule, error) {
	if err := p.RequireRole(people.RoleAdmin); err != nil {
		return nil, err
	}
	var bad []errs.Field
	seen := map[[2]string]bool{}
	for i, sc := range ss {
		f := fmt.Sprintf("schedules[%d]", i)
		if !slices.Contains(TargetKinds, sc.TargetKind) {
			bad = append(bad, errs.Field{Field: f + ".target_kind", Reason: "invalid_target_kind", Detail: "want one of " + strings.Join(TargetKinds, ", ")})
		}
		if sc.Category != "" && sc.TargetKind != "key_person" {
			bad = append(bad, errs.Field{Field: f + ".category", Reason: "category_not_allowed", Detail: "only key_person schedules have a category"})
		}
		if len(sc.Category) > 40 {
			bad = append(bad, errs.Field{Field: f + ".category", Reason: "invalid_category", Detail: "at most 40 characters"})
		}
		if sc.Every < 1 || sc.Every > 366 {
			bad = append(bad, errs.Field{Field: f + ".every", Reason: "invalid_every", Detail: "want 1 to 366"})
		}
		if !slices.Contains(Units, sc.Unit) {
			bad = append(bad, errs.Field{Field: f + ".unit", Reason: "invalid_unit", Detail: "want day, week or month"})
		}
		k := [2]string{sc.TargetKind, sc.Category}
		if seen[k] {
			bad = append(bad, errs.Field{Field: f, Reason: "duplicate_schedule", Detail: "one row per kind and category"})
		}
		seen[k] = true
	}
	for _, k := range TargetKinds {
		if !seen[[2]string{k, ""}] {
			bad = append(bad, errs.Field{Field: "schedules", Reason: "default_required", Detail: "give a row without category for " + k})
		}
	}
	if len(bad) > 0 {
		return nil, errs.E(errs.Invalid, "invalid_schedules", "%s: %s", bad[0].Field, bad[0].Detail).WithFields(bad...)
	}
	if err := s.Store.ReplaceSchedules(ctx, ss); err != nil {
		return nil, err
	}
	return s.Store.Schedules(ctx)
}

// MonthCoverage returns each worker's coverage of month [from, to).
func (s *Service) MonthCoverage(ctx context.Context, from, to time.Time) ([]Coverage, error) {
	return s.Store.MonthCoverage(ctx, workday.DateOf(from), workday.DateOf(to))
}

// CanReadPhoto reports whether p may see upload id as the photo of a visit
// in its scope (the uploader always may; see the upload route).
func (s *Service) CanReadPhoto(ctx context.Context, p *auth.Principal, id int64) (bool, error) {
	if p.User.Role == people.RoleDepartment {
		return false, nil
	}
	grids, err := s.Store.PhotoGrids(ctx, id)
	if err != nil {
		return false, err
	}
	h := s.Tree()
	for _, g := range grids {
		if g != "" && p.CanReadGrid(h, g) {
			return true, nil
		}
	}
	return false, nil
}
