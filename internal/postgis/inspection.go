package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/inspection"
	"github.com/jackc/pgx/v5"
)

// InspectionStore keeps checklist templates and inspections.
type InspectionStore struct{ db *DB }

// NewInspectionStore returns the store on db.
func NewInspectionStore(db *DB) *InspectionStore { return &InspectionStore{db: db} }

var _ inspection.Store = (*InspectionStore)(nil)

const templateColumns = `id, code, version, name, kind, category, items, created_by, created_at`

func scanTemplate(row pgx.Row) (*inspection.Template, error) {
	var t inspection.Template
	var items []byte
	if err := row.Scan(&t.ID, &t.Code, &t.Version, &t.Name, &t.Kind, &t.Category, &items, &t.CreatedBy, &t.CreatedAt); err != nil {
		return nil, err
	}
	return &t, json.Unmarshal(items, &t.Items)
}

// CreateTemplate stores t as the next version of its code. The version is
// taken under an advisory lock of the code, so two concurrent edits get
// consecutive versions instead of a unique violation.
func (s *InspectionStore) CreateTemplate(ctx context.Context, t *inspection.Template) error {
	items, err := json.Marshal(t.Items)
	if err != nil {
		return err
	}
	err = s.db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('inspection_template:' || $1))`, t.Code); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `
INSERT INTO inspection_templates (code, version, name, kind, category, items, created_by, created_at)
SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5, $6, $7 FROM inspection_templates WHERE code = $1
RETURNING id, version, created_at`, t.Code, t.Name, t.Kind, t.Category, items, t.CreatedBy, s.db.Now()).
			Scan(&t.ID, &t.Version, &t.CreatedAt)
	})
	return translate(err, "inspection template")
}

// FindTemplates returns the latest version of every code, by code.
func (s *InspectionStore) FindTemplates(ctx context.Context, kind, category string) ([]*inspection.Template, error) {
	a := &sqlArgs{}
	var w []string
	if kind != "" {
		w = append(w, "kind = "+a.add(kind))
	}
	if category != "" {
		w = append(w, "category = "+a.add(category))
	}
	where := ""
	if len(w) > 0 {
		where = "WHERE " + strings.Join(w, " AND ")
	}
	rows, err := s.db.Pool.Query(ctx, `
SELECT DISTINCT ON (code) `+templateColumns+` FROM inspection_templates `+where+`
ORDER BY code, version DESC`, a.vals...)
	if err != nil {
		return nil, translate(err, "inspection templates")
	}
	defer rows.Close()
	out := []*inspection.Template{}
	for rows.Next() {
		t, err := scanTemplate(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, translate(rows.Err(), "inspection templates")
}

// FindTemplate returns one template version.
func (s *InspectionStore) FindTemplate(ctx context.Context, id int64) (*inspection.Template, error) {
	t, err := scanTemplate(s.db.Pool.QueryRow(ctx, `SELECT `+templateColumns+` FROM inspection_templates WHERE id = $1`, id))
	return t, translate(err, "inspection template")
}

// FindTarget returns the register record to inspect.
func (s *InspectionStore) FindTarget(ctx context.Context, id int64) (*inspection.Target, error) {
	var t inspection.Target
	var lon, lat *float64
	err := s.db.Pool.QueryRow(ctx, `
SELECT id, kind, name, address, category, coalesce(grid_code, ''), ST_X(point), ST_Y(point)
FROM register_records WHERE id = $1`, id).Scan(&t.ID, &t.Kind, &t.Name, &t.Address, &t.Category, &t.GridCode, &lon, &lat)
	if err != nil {
		return nil, translate(err, "register record")
	}
	if lon != nil && lat != nil {
		t.Point[0], t.Point[1] = *lon, *lat
	}
	return &t, nil
}

// CreateInspection stores in; with key, a stored (inspector, key) wins and
// its id and hash come back instead.
func (s *InspectionStore) CreateInspection(ctx context.Context, in *inspection.Inspection, key string, hash []byte) (int64, []byte, error) {
	results, err := json.Marshal(in.Results)
	if err != nil {
		return 0, nil, err
	}
	var k *string
	var h []byte
	if key != "" {
		k, h = &key, hash
	}
	var grid *string
	if in.GridCode != "" {
		grid = &in.GridCode
	}
	err = s.db.Pool.QueryRow(ctx, `
INSERT INTO inspections (record_id, template_id, inspected_on, inspector_id, grid_code, results, note, idem_key, request_hash, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (inspector_id, idem_key) DO NOTHING
RETURNING id`, in.RecordID, in.TemplateID, in.Date, in.InspectorID, grid, results, in.Note, k, h, in.CreatedAt).Scan(&in.ID)
	if errors.Is(err, pgx.ErrNoRows) && key != "" {
		id, stored, err := s.FindInspectionByKey(ctx, in.InspectorID, key)
		return id, stored, err
	}
	return 0, nil, translate(err, "inspection")
}

// FindInspectionByKey returns the inspection stored by inspector with key.
func (s *InspectionStore) FindInspectionByKey(ctx context.Context, inspector int64, key string) (int64, []byte, error) {
	var id int64
	var h []byte
	err := s.db.Pool.QueryRow(ctx, `SELECT id, request_hash FROM inspections WHERE inspector_id = $1 AND idem_key = $2`, inspector, key).Scan(&id, &h)
	return id, h, translate(err, "inspection")
}

const inspectionColumns = `i.id, i.record_id, r.name, i.template_id, t.code, t.version, i.inspected_on, i.inspector_id,
  coalesce(i.grid_code, ''), i.results, i.note, i.created_at,
  coalesce((SELECT jsonb_agg(jsonb_build_object('item', ic.item, 'case_id', ic.case_id) ORDER BY ic.item)
            FROM inspection_cases ic WHERE ic.inspection_id = i.id), '[]')`

const inspectionFrom = ` FROM inspections i JOIN register_records r ON r.id = i.record_id JOIN inspection_templates t ON t.id = i.template_id`

func scanInspection(row pgx.Row) (*inspection.Inspection, error) {
	var in inspection.Inspection
	var results, cases []byte
	if err := row.Scan(&in.ID, &in.RecordID, &in.RecordName, &in.TemplateID, &in.TemplateCode, &in.TemplateVersion, &in.Date,
		&in.InspectorID, &in.GridCode, &results, &in.Note, &in.CreatedAt, &cases); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(results, &in.Results); err != nil {
		return nil, err
	}
	return &in, json.Unmarshal(cases, &in.Cases)
}

// FindInspection returns one inspection with the cases it opened.
func (s *InspectionStore) FindInspection(ctx context.Context, id int64) (*inspection.Inspection, error) {
	in, err := scanInspection(s.db.Pool.QueryRow(ctx, `SELECT `+inspectionColumns+inspectionFrom+` WHERE i.id = $1`, id))
	return in, translate(err, "inspection")
}

// FindInspections returns the inspections matching f, newest first.
func (s *InspectionStore) FindInspections(ctx context.Context, f inspection.Filter) ([]*inspection.Inspection, error) {
	a := &sqlArgs{}
	w := []string{"TRUE"}
	if f.ScopeGrids != nil {
		w = append(w, gridScopeCondition(a, "i.grid_code", f.ScopeGrids))
	}
	if f.RecordID != nil {
		w = append(w, "i.record_id = "+a.add(*f.RecordID))
	}
	if f.From != nil {
		w = append(w, "i.inspected_on >= "+a.add(*f.From))
	}
	if f.To != nil {
		w = append(w, "i.inspected_on <= "+a.add(*f.To))
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT `+inspectionColumns+inspectionFrom+` WHERE `+strings.Join(w, " AND ")+`
ORDER BY i.inspected_on DESC, i.id DESC LIMIT `+a.add(f.Limit), a.vals...)
	if err != nil {
		return nil, translate(err, "inspections")
	}
	defer rows.Close()
	out := []*inspection.Inspection{}
	for rows.Next() {
		in, err := scanInspection(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, translate(rows.Err(), "inspections")
}

// LinkCase records the case a failed item opened (once).
func (s *InspectionStore) LinkCase(ctx context.Context, id int64, item string, caseID int64) error {
	_, err := s.db.Pool.Exec(ctx, `INSERT INTO inspection_cases (inspection_id, item, case_id) VALUES ($1, $2, $3)
ON CONFLICT (inspection_id, item) DO NOTHING`, id, item, caseID)
	return translate(err, "inspection case")
}

// CheckPhotos fails unless every id is an upload of owner not yet attached
// to a case.
func (s *InspectionStore) CheckPhotos(ctx context.Context, owner int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	var n int
	if err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM uploads WHERE id = ANY($1) AND owner_id = $2 AND case_id IS NULL`, ids, owner).Scan(&n); err != nil {
		return translate(err, "uploads")
	}
	if n != len(ids) {
		return errs.Invalidf("results.photos", "unknown_upload", "every photo must be an upload id of yours that belongs to no case (POST /api/v1/uploads)")
	}
	return nil
}

// LicencesDue lists business licences expiring on or before until.
func (s *InspectionStore) LicencesDue(ctx context.Context, scope []string, until time.Time) ([]inspection.LicenceDue, error) {
	a := &sqlArgs{}
	// The CASE keeps a malformed expiry from being cast (AND does not order
	// its operands); the registers validate dates on the way in.
	w := []string{"r.kind = 'business'", "CASE WHEN l->>'expires' ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN (l->>'expires')::date END <= " + a.add(until)}
	if scope != nil {
		w = append(w, gridScopeCondition(a, "r.grid_code", scope))
	}
	rows, err := s.db.Pool.Query(ctx, `
SELECT r.id, r.name, r.address, coalesce(r.grid_code, ''), l->>'type', coalesce(l->>'number', ''), l->>'expires'
FROM register_records r CROSS JOIN LATERAL jsonb_array_elements(coalesce(r.attrs->'licences', '[]')) l
WHERE `+strings.Join(w, " AND ")+`
ORDER BY l->>'expires', r.id`, a.vals...)
	if err != nil {
		return nil, translate(err, "licences")
	}
	defer rows.Close()
	out := []inspection.LicenceDue{}
	for rows.Next() {
		var d inspection.LicenceDue
		if err := rows.Scan(&d.RecordID, &d.Name, &d.Address, &d.GridCode, &d.Type, &d.Number, &d.Expires); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, translate(rows.Err(), "licences")
}

// LicenceHolders lists each licence expiring on or before until with the
// grid workers assigned today to its business's grid.
func (s *InspectionStore) LicenceHolders(ctx context.Context, until time.Time) ([]inspection.Reminder, error) {
	rows, err := s.db.Pool.Query(ctx, `
SELECT ga.user_id, r.id, r.name, r.address, r.grid_code, l->>'type', coalesce(l->>'number', ''), l->>'expires'
FROM register_records r CROSS JOIN LATERAL jsonb_array_elements(coalesce(r.attrs->'licences', '[]')) l
JOIN grid_assignments ga ON ga.grid_code = r.grid_code AND ga.grid_role = 'worker'
  AND ga.valid_from <= current_date AND (ga.valid_to IS NULL OR ga.valid_to > current_date)
WHERE r.kind = 'business'
  AND CASE WHEN l->>'expires' ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN (l->>'expires')::date END <= $1
ORDER BY ga.user_id, l->>'expires', r.id`, until)
	if err != nil {
		return nil, translate(err, "licence holders")
	}
	defer rows.Close()
	var out []inspection.Reminder
	for rows.Next() {
		var m inspection.Reminder
		if err := rows.Scan(&m.UserID, &m.RecordID, &m.Name, &m.Address, &m.GridCode, &m.Type, &m.Number, &m.Expires); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, translate(rows.Err(), "licence holders")
}
