// Package inspection is the dated inspection of businesses and places of
// concern (P4 四(一)(二): licences by business type, safety checklists for
// rental housing, shops, schools …) on editable, versioned checklist
// templates. An inspection records the template version it used and a
// result per item; each failed item opens exactly one case in the case
// loop (casework.Service.Intake, the path of every report, so routing and
// stage clocks apply), in the item's category and linked to the inspection.
// It also lists licences due to expire (the reminder list).
package inspection

import (
	"context"
	"regexp"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/casework"
	"github.com/paulmach/orb"
)

// Kinds of register records that are inspected.
const (
	KindBusiness = "business"
	KindPlace    = "place"
)

// Item is one checklist item: a stable code, the question, and the case
// category (a small class) a failure opens.
type Item struct {
	Code     string `json:"code"`
	Text     string `json:"text"`
	Category string `json:"category"`
}

// Template is one version of a checklist for a business or place type.
type Template struct {
	ID        int64
	Code      string
	Version   int
	Name      string
	Kind      string // business | place
	Category  string // the business or place type (internal/registers catalogue)
	Items     []Item
	CreatedBy int64
	CreatedAt time.Time
}

// Result is one item's outcome.
type Result struct {
	Item   string  `json:"item"`
	OK     bool    `json:"ok"`
	Note   string  `json:"note,omitempty"`
	Photos []int64 `json:"photos"`
}

// ItemCase is the case a failed item opened.
type ItemCase struct {
	Item   string `json:"item"`
	CaseID int64  `json:"case_id"`
}

// Inspection is one inspection of a record on a date.
type Inspection struct {
	ID              int64
	RecordID        int64
	RecordName      string
	TemplateID      int64
	TemplateCode    string
	TemplateVersion int
	Date            time.Time // civil date (UTC midnight)
	InspectorID     int64
	GridCode        string
	Results         []Result
	Note            string
	Cases           []ItemCase
	CreatedAt       time.Time
}

// Target is the register record being inspected.
type Target struct {
	ID       int64
	Kind     string
	Name     string
	Address  string
	Category string
	GridCode string
	Point    orb.Point
}

// LicenceDue is one business licence expiring on or before the horizon.
type LicenceDue struct {
	RecordID int64  `json:"record_id"`
	Name     string `json:"name"`
	Address  string `json:"address"`
	GridCode string `json:"grid_code"`
	Type     string `json:"type"`
	Number   string `json:"number"`
	Expires  string `json:"expires"` // YYYY-MM-DD
	Expired  bool   `json:"expired"`
}

// Filter selects inspections.
type Filter struct {
	ScopeGrids []string // subtree roots; nil: all
	RecordID   *int64
	From, To   *time.Time // civil dates, [From, To]
	Limit      int
}

// Store is what the service needs from the database.
type Store interface {
	// CreateTemplate stores t as the next version of its code (1 for a new
	// code) and sets ID, Version and CreatedAt.
	CreateTemplate(ctx context.Context, t *Template) error
	// FindTemplates returns the latest version of every template code,
	// optionally of one kind and category ("" = any).
	FindTemplates(ctx context.Context, kind, category string) ([]*Template, error)
	FindTemplate(ctx context.Context, id int64) (*Template, error)
	FindTarget(ctx context.Context, recordID int64) (*Target, error)
	// CreateInspection stores in. With key set, a second call with the same
	// inspector and key stores nothing and returns the first inspection's
	// id and request hash (existing != 0).
	CreateInspection(ctx context.Context, in *Inspection, key string, hash []byte) (existing int64, storedHash []byte, err error)
	// FindInspectionByKey returns the id and request hash of the
	// inspection inspector stored with key (NotFound: none).
	FindInspectionByKey(ctx context.Context, inspector int64, key string) (int64, []byte, error)
	FindInspection(ctx context.Context, id int64) (*Inspection, error)
	FindInspections(ctx context.Context, f Filter) ([]*Inspection, error)
	// LinkCase records the case opened by a failed item; a second link of
	// the same item is ignored.
	LinkCase(ctx context.Context, inspectionID int64, item string, caseID int64) error
	// CheckPhotos fails unless every id is an upload of owner.
	CheckPhotos(ctx context.Context, owner int64, ids []int64) error
	// LicencesDue lists business licences in the grid subtrees (nil: all)
	// expiring on or before until.
	LicencesDue(ctx context.Context, scope []string, until time.Time) ([]LicenceDue, error)
	// LicenceHolders lists, for each licence expiring on or before until,
	// the grid workers assigned today to the business's grid.
	LicenceHolders(ctx context.Context, until time.Time) ([]Reminder, error)
}

// Reminder is a licence due and a worker to remind.
type Reminder struct {
	UserID int64
	LicenceDue
}

// Cases is the case loop's intake (casework.Service).
type Cases interface {
	Intake(ctx context.Context, p *auth.Principal, r casework.Report, key string) (*casework.Case, bool, error)
	Categories(ctx context.Context) ([]*casework.Category, error)
}

// Hierarchy answers grid containment (the registry tree).
type Hierarchy = auth.Hierarchy

var codeRe = regexp.MustCompile(`^[a-z0-9_]{1,64}$`)
