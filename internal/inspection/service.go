package inspection

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/msg"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/registers"
	"github.com/gridd/gridd/internal/workday"
)

// Service keeps templates and records inspections. Access: admin and
// center (in scope) edit templates and inspect; a grid worker inspects the
// records in its own grids.
type Service struct {
	Store    Store
	Cases    Cases
	Tree     func() Hierarchy
	Messages *msg.Catalogue
	Now      func() time.Time
}

// MaxItems bounds a checklist.
const MaxItems = 60

// SaveTemplate validates t and stores it as the next version of its code.
func (s *Service) SaveTemplate(ctx context.Context, p *auth.Principal, t *Template) error {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter); err != nil {
		return err
	}
	var bad []errs.Field
	add := func(f, reason, detail string) {
		bad = append(bad, errs.Field{Field: f, Reason: reason, Detail: detail})
	}
	if !codeRe.MatchString(t.Code) {
		add("code", "invalid_code", "want 1–64 characters a-z, 0-9 or '_'")
	}
	if strings.TrimSpace(t.Name) == "" {
		add("name", "name_required", "name the checklist")
	}
	switch t.Kind {
	case KindBusiness:
		if _, ok := registers.BusinessTypes[t.Category]; !ok {
			add("category", "unknown_business_type", "want a business type of the register catalogue (e.g. restaurant, shop)")
		}
	case KindPlace:
		if _, ok := registers.PlaceTypes[t.Category]; !ok {
			add("category", "unknown_place_type", "want a place type of the register catalogue (e.g. rental_housing)")
		}
	default:
		add("kind", "invalid_kind", "want business or place")
	}
	if len(t.Items) == 0 || len(t.Items) > MaxItems {
		add("items", "items_required", fmt.Sprintf("want 1–%d items", MaxItems))
	}
	cats, err := s.Cases.Categories(ctx)
	if err != nil {
		return err
	}
	small := map[string]bool{}
	for _, c := range cats {
		if c.IsSmall() && c.Active {
			small[c.Code] = true
		}
	}
	seen := map[string]bool{}
	for i, it := range t.Items {
		f := fmt.Sprintf("items[%d]", i)
		if !codeRe.MatchString(it.Code) {
			add(f+".code", "invalid_code", "want 1–64 characters a-z, 0-9 or '_'")
		} else if seen[it.Code] {
			add(f+".code", "duplicate_item", "item codes must be unique within a checklist")
		}
		seen[it.Code] = true
		if n := utf8.RuneCountInString(strings.TrimSpace(it.Text)); n == 0 || n > 200 {
			add(f+".text", "text_required", "want the question, 1–200 characters")
		}
		if !small[it.Category] {
			add(f+".category", "unknown_category", "want an active small-class case category (GET /api/v1/categories): a failure opens a case in it")
		}
	}
	if len(bad) > 0 {
		return invalidFields(bad)
	}
	t.CreatedBy = p.User.ID
	return s.Store.CreateTemplate(ctx, t)
}

// Templates lists the latest version of every template (kind, category: "" = any).
func (s *Service) Templates(ctx context.Context, p *auth.Principal, kind, category string) ([]*Template, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter, people.RoleWorker); err != nil {
		return nil, err
	}
	return s.Store.FindTemplates(ctx, kind, category)
}

// Template returns one template version.
func (s *Service) Template(ctx context.Context, p *auth.Principal, id int64) (*Template, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter, people.RoleWorker); err != nil {
		return nil, err
	}
	return s.Store.FindTemplate(ctx, id)
}

// Request is an inspection as submitted.
type Request struct {
	RecordID   int64    `json:"record_id"`
	TemplateID int64    `json:"template_id"`
	Date       string   `json:"date"` // YYYY-MM-DD
	Results    []Result `json:"results"`
	Note       string   `json:"note"`
}

// Record stores an inspection and opens one case per failed item. With
// key (the Idempotency-Key), a retry of the same request replays the
// inspection first stored (replayed true) and opens only the cases a
// failed earlier attempt did not; the same key with another body is
// Unprocessable.
func (s *Service) Record(ctx context.Context, p *auth.Principal, req Request, key string) (*Inspection, bool, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter, people.RoleWorker); err != nil {
		return nil, false, err
	}
	if err := casework.CheckKey(key); err != nil {
		return nil, false, err
	}
	b, _ := json.Marshal(req)
	sum := sha256.Sum256(b)
	hash := sum[:]
	if key != "" {
		// A retry replays before anything else is checked (the template may
		// have a newer version by now).
		in, replayed, err := s.replayByKey(ctx, p, key, hash)
		if err != nil || replayed {
			return in, replayed, err
		}
	}
	now := s.Now()
	day, err := s.checkDate(req.Date, now)
	if err != nil {
		return nil, false, err
	}
	if req.RecordID <= 0 {
		return nil, false, errs.Invalidf("record_id", "record_required", "want the id of a business or place in the registers")
	}
	tg, err := s.Store.FindTarget(ctx, req.RecordID)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return nil, false, errs.Invalidf("record_id", "unknown_record", "no business or place %d in the registers", req.RecordID)
		}
		return nil, false, err
	}
	if tg.Kind != KindBusiness && tg.Kind != KindPlace {
		return nil, false, errs.Invalidf("record_id", "not_inspectable", "record %d is a %s: only businesses and places are inspected", tg.ID, tg.Kind)
	}
	if tg.GridCode == "" || !p.CanReadGrid(s.Tree(), tg.GridCode) {
		return nil, false, errs.Forbiddenf("record %d is outside your grids", tg.ID)
	}
	t, err := s.Store.FindTemplate(ctx, req.TemplateID)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return nil, false, errs.Invalidf("template_id", "unknown_template", "no checklist template %d (GET /api/v1/inspection-templates)", req.TemplateID)
		}
		return nil, false, err
	}
	if t.Kind != tg.Kind || t.Category != tg.Category {
		return nil, false, errs.Invalidf("template_id", "template_mismatch", "template %s is for %s/%s; record %d is %s/%s", t.Code, t.Kind, t.Category, tg.ID, tg.Kind, tg.Category)
	}
	results, err := checkResults(t, req.Results)
	if err != nil {
		return nil, false, err
	}
	var photos []int64
	for _, r := range results {
		photos = append(photos, r.Photos...)
	}
	if err := s.Store.CheckPhotos(ctx, p.User.ID, photos); err != nil {
		return nil, false, err
	}
	if utf8.RuneCountInString(req.Note) > casework.MaxDescription {
		return nil, false, errs.Invalidf("note", "note_too_long", "at most %d characters", casework.MaxDescription)
	}
	in := &Inspection{RecordID: tg.ID, RecordName: tg.Name, TemplateID: t.ID, TemplateCode: t.Code, TemplateVersion: t.Version,
		Date: day, InspectorID: p.User.ID, GridCode: tg.GridCode, Results: results, Note: req.Note, CreatedAt: now}
	existing, stored, err := s.Store.CreateInspection(ctx, in, key, hash)
	if err != nil {
		return nil, false, err
	}
	if existing != 0 {
		if string(stored) != string(hash) {
			return nil, false, reusedKey()
		}
		in, err := s.openCases(ctx, p, existing)
		return in, true, err
	}
	in, err = s.openCases(ctx, p, in.ID)
	return in, false, err
}

func invalidFields(bad []errs.Field) error {
	return errs.E(errs.Invalid, bad[0].Reason, "%s: %s", bad[0].Field, bad[0].Detail).WithFields(bad...)
}

func reusedKey() error {
	return errs.E(errs.Unprocessable, "idempotency_key_reused",
		"this Idempotency-Key was used with a different request body; use a new key for a new inspection")
}

func (s *Service) replayByKey(ctx context.Context, p *auth.Principal, key string, hash []byte) (*Inspection, bool, error) {
	existing, stored, err := s.Store.FindInspectionByKey(ctx, p.User.ID, key)
	if errs.Is(err, errs.NotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if string(stored) != string(hash) {
		return nil, false, reusedKey()
	}
	in, err := s.openCases(ctx, p, existing)
	return in, true, err
}

// openCases opens the case of every failed item of inspection id that has
// none yet. Each intake carries a key derived from the inspection and the
// item, so a crash between the intake and the link is repaired by the
// retry without a second case.
func (s *Service) openCases(ctx context.Context, p *auth.Principal, id int64) (*Inspection, error) {
	in, err := s.Store.FindInspection(ctx, id)
	if err != nil {
		return nil, err
	}
	t, err := s.Store.FindTemplate(ctx, in.TemplateID)
	if err != nil {
		return nil, err
	}
	tg, err := s.Store.FindTarget(ctx, in.RecordID)
	if err != nil {
		return nil, err
	}
	linked := map[string]bool{}
	for _, c := range in.Cases {
		linked[c.Item] = true
	}
	items := map[string]Item{}
	for _, it := range t.Items {
		items[it.Code] = it
	}
	for _, r := range in.Results {
		if r.OK || linked[r.Item] {
			continue
		}
		it := items[r.Item]
		text := it.Text
		if r.Note != "" {
			text += "（" + r.Note + "）"
		}
		rep := casework.Report{Category: it.Category, Source: "inspection", Lon: tg.Point[0], Lat: tg.Point[1],
			Description: s.Messages.Sprintf(msg.ZH, msg.InspectionCaseDescription, tg.Name, text), Photos: slices.Clone(r.Photos)}
		c, _, err := s.Cases.Intake(ctx, p, rep, fmt.Sprintf("inspection:%d:%s", in.ID, r.Item))
		if err != nil {
			return nil, fmt.Errorf("inspection %d item %s: open case: %w", in.ID, r.Item, err)
		}
		if err := s.Store.LinkCase(ctx, in.ID, r.Item, c.ID); err != nil {
			return nil, err
		}
		in.Cases = append(in.Cases, ItemCase{Item: r.Item, CaseID: c.ID})
	}
	return in, nil
}

// checkResults wants exactly one result per template item, in any order;
// it returns them in the template's order.
func checkResults(t *Template, rs []Result) ([]Result, error) {
	var bad []errs.Field
	add := func(f, reason, detail string) {
		bad = append(bad, errs.Field{Field: f, Reason: reason, Detail: detail})
	}
	by := map[string]Result{}
	known := map[string]bool{}
	for _, it := range t.Items {
		known[it.Code] = true
	}
	used := map[int64]bool{}
	for i, r := range rs {
		f := fmt.Sprintf("results[%d]", i)
		switch {
		case !known[r.Item]:
			add(f+".item", "unknown_item", fmt.Sprintf("template %s v%d has no item %q", t.Code, t.Version, r.Item))
		case by[r.Item].Item != "":
			add(f+".item", "duplicate_item", "one result per item")
		}
		if utf8.RuneCountInString(r.Note) > 500 {
			add(f+".note", "note_too_long", "at most 500 characters")
		}
		if len(r.Photos) > 9 {
			add(f+".photos", "too_many_photos", "at most 9 photos per item")
		}
		for _, ph := range r.Photos {
			if used[ph] {
				add(f+".photos", "photo_reused", "a photo belongs to one item")
			}
			used[ph] = true
		}
		if r.Photos == nil {
			r.Photos = []int64{}
		}
		by[r.Item] = r
	}
	out := make([]Result, 0, len(t.Items))
	for _, it := range t.Items {
		r, ok := by[it.Code]
		if !ok {
			add("results", "result_missing", fmt.Sprintf("no result for item %q", it.Code))
			continue
		}
		out = append(out, r)
	}
	if len(bad) > 0 {
		return nil, invalidFields(bad)
	}
	return out, nil
}

func (s *Service) checkDate(v string, now time.Time) (time.Time, error) {
	d, err := time.Parse("2006-01-02", v)
	if err != nil {
		return time.Time{}, errs.Invalidf("date", "invalid_date", "want the inspection date as YYYY-MM-DD, got %q", v)
	}
	today := workday.DateOf(now)
	t := time.Date(today.Year, today.Month, today.Day, 0, 0, 0, 0, time.UTC)
	if d.After(t) {
		return time.Time{}, errs.Invalidf("date", "in_future", "the inspection date %s is after today (%s)", v, t.Format("2006-01-02"))
	}
	if d.Before(t.AddDate(-1, 0, 0)) {
		return time.Time{}, errs.Invalidf("date", "too_old", "the inspection date %s is more than a year ago", v)
	}
	return d, nil
}

// Get returns an inspection p may read (in its grids).
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (*Inspection, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter, people.RoleWorker, people.RoleViewer); err != nil {
		return nil, err
	}
	in, err := s.Store.FindInspection(ctx, id)
	if err != nil {
		return nil, err
	}
	if in.GridCode == "" || !p.CanReadGrid(s.Tree(), in.GridCode) {
		return nil, errs.Forbiddenf("inspection %d is outside your grids", id)
	}
	return in, nil
}

// List returns the inspections p may read matching f.
func (s *Service) List(ctx context.Context, p *auth.Principal, f Filter) ([]*Inspection, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter, people.RoleWorker, people.RoleViewer); err != nil {
		return nil, err
	}
	f.ScopeGrids = p.GridScope()
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	return s.Store.FindInspections(ctx, f)
}

// LicencesDue lists the licences in p's grids that expire within days
// from today (expired ones included), soonest first.
func (s *Service) LicencesDue(ctx context.Context, p *auth.Principal, days int) ([]LicenceDue, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter, people.RoleWorker, people.RoleViewer); err != nil {
		return nil, err
	}
	today := workday.DateOf(s.Now())
	t := time.Date(today.Year, today.Month, today.Day, 0, 0, 0, 0, time.UTC)
	out, err := s.Store.LicencesDue(ctx, p.GridScope(), t.AddDate(0, 0, days))
	if err != nil {
		return nil, err
	}
	for i := range out {
		if e, err := time.Parse("2006-01-02", out[i].Expires); err == nil && !e.After(t) {
			out[i].Expired = true
		}
	}
	return out, nil
}
