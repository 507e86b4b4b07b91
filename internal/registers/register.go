// Package registers holds the base registers (基础信息: 人、地、物、事、组织):
// households, people, buildings, businesses, places of concern and
// organisations, each located and assigned to its grid automatically, the
// coverage audit over them, and the protected key-person files (重点人员)
// with their visit log.
//
// Assignment rule: a record belongs to the deepest current grid whose
// polygon holds its point (the point-in-grid index's boundary rule); a
// polygon record (a building outline) is located by a point on its
// surface. A record outside every grid has no grid: a coverage gap. A
// person has no location: it belongs to its household's grid.
package registers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Kind is a register.
type Kind string

const (
	Household    Kind = "household"
	Person       Kind = "person"
	Building     Kind = "building"
	Business     Kind = "business"
	Place        Kind = "place"
	Organisation Kind = "organisation"
)

// Kinds lists every register.
var Kinds = []Kind{Household, Person, Building, Business, Place, Organisation}

// ParseKind accepts a kind or its plural ("households").
func ParseKind(s string) (Kind, error) {
	plural := map[string]Kind{"households": Household, "people": Person, "persons": Person, "buildings": Building,
		"businesses": Business, "places": Place, "organisations": Organisation, "organizations": Organisation}
	if k, ok := plural[s]; ok {
		return k, nil
	}
	for _, k := range Kinds {
		if s == string(k) {
			return k, nil
		}
	}
	return "", errs.Invalidf("kind", "invalid_kind", "want one of households, people, buildings, businesses, places, organisations; got %q", s)
}

// Licence is one licence a business holds.
type Licence struct {
	Type    string `json:"type"`
	Number  string `json:"number"`
	Expires string `json:"expires,omitempty"` // YYYY-MM-DD; empty: no expiry
}

// CheckItem is one item of a place's safety checklist.
type CheckItem struct {
	Item string `json:"item"`
	OK   bool   `json:"ok"`
	Note string `json:"note,omitempty"`
}

// Attrs are the kind-specific attributes.
type Attrs struct {
	Licences    []Licence   `json:"licences,omitempty"`
	Checklist   []CheckItem `json:"checklist,omitempty"`
	Rental      bool        `json:"rental,omitempty"`
	Dilapidated bool        `json:"dilapidated,omitempty"`
	Contact     string      `json:"contact,omitempty"`
}

// Record is one entry of a register.
type Record struct {
	ID       int64
	Kind     Kind
	Name     string
	Address  string
	Category string // business type, place type, building use, organisation type
	// Geometry is a Point, or for buildings a Polygon/MultiPolygon; nil
	// for a person.
	Geometry orb.Geometry
	// Point locates the record (the point, or a point on the polygon's surface).
	Point       *orb.Point
	GridCode    string // "" = outside every grid
	HouseholdID *int64
	Size        *int
	Phone       string
	// IDNumber is the plaintext ID number on the way in; it is never read
	// back. IDNumberEnc is what the store keeps, IDNumberMask what is shown.
	IDNumber     string
	IDNumberEnc  []byte
	IDNumberMask string
	Tags         []string
	Attrs        Attrs
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Flag is a problem found on a record (missing or expired licence,
// failed or unchecked safety item).
type Flag struct {
	Reason string `json:"reason"`
	Item   string `json:"item"`
	Detail string `json:"detail"`
}

// Flags checks a business's licences against the list its type requires
// on day (a civil date), and a place's checklist against its type's.
func (r *Record) Flags(day time.Time) []Flag {
	var out []Flag
	switch r.Kind {
	case Business:
		held := map[string]Licence{}
		for _, l := range r.Attrs.Licences {
			held[l.Type] = l
		}
		for _, t := range RequiredLicences(r.Category) {
			l, ok := held[t]
			if !ok {
				out = append(out, Flag{"licence_missing", t, LicenceNames[t] + " missing"})
				continue
			}
			if l.Expires != "" {
				exp, err := time.Parse("2006-01-02", l.Expires)
				if err == nil && !exp.After(day) {
					out = append(out, Flag{"licence_expired", t, fmt.Sprintf("%s %s expired on %s", LicenceNames[t], l.Number, l.Expires)})
				}
			}
		}
	case Place:
		pt, ok := PlaceTypes[r.Category]
		if !ok {
			break
		}
		done := map[string]CheckItem{}
		for _, c := range r.Attrs.Checklist {
			done[c.Item] = c
		}
		for _, item := range pt.Checklist {
			c, ok := done[item]
			switch {
			case !ok:
				out = append(out, Flag{"check_missing", item, "not checked yet"})
			case !c.OK:
				out = append(out, Flag{"check_failed", item, c.Note})
			}
		}
	}
	return out
}

// Filter selects records.
type Filter struct {
	Kind     Kind
	Within   []string // grid subtree roots; nil = all
	GridCode *string  // exactly this grid ("" = outside every grid)
	Category *string
	Tag      *string
	Q        string // substring of name or address
	BBox     *orb.Bound
	After    int64 // id cursor
	Limit    int
	// HouseholdID selects the people of a household.
	HouseholdID *int64
}

// Counts are a grid's register totals (its subtree included).
type Counts struct {
	Households    int `json:"households"`
	People        int `json:"people"`
	Buildings     int `json:"buildings"`
	Businesses    int `json:"businesses"`
	Places        int `json:"places"`
	Organisations int `json:"organisations"`
}

// Located is a record's id, point and current grid, for re-assignment.
type Located struct {
	ID       int64
	Point    orb.Point
	GridCode string
}

// Store is what the registers need from the database.
type Store interface {
	// NextRecordIDs reserves n record ids (the ids are associated data of
	// the encrypted fields, so they are known before the insert).
	NextRecordIDs(ctx context.Context, n int) ([]int64, error)
	// CreateRecords inserts all records in one transaction: all or nothing.
	CreateRecords(ctx context.Context, rs []*Record) error
	UpdateRecord(ctx context.Context, r *Record) error
	DeleteRecord(ctx context.Context, kind Kind, id int64) error
	FindRecord(ctx context.Context, kind Kind, id int64) (*Record, error)
	FindRecords(ctx context.Context, f Filter) ([]*Record, int, error)
	// LocatedRecords lists every located record (households and the rest,
	// not people) and key person with its point.
	LocatedRecords(ctx context.Context) ([]Located, []Located, error)
	// SetGrids moves records and key persons to new grids ("" = none) and
	// people along with their households.
	SetGrids(ctx context.Context, records, keyPersons map[int64]string) error
	GridCounts(ctx context.Context, code string) (*Counts, error)
	CoverageRows(ctx context.Context, parent string, on time.Time) ([]GridCoverage, []Outside, error)
}

// GridLocator returns the deepest current grid of each point ("" when none).
type GridLocator func(ctx context.Context, pts []orb.Point) ([]string, error)

// Service validates, locates and stores register records.
type Service struct {
	Store  Store
	Locate GridLocator
	Cipher *Cipher
	Now    func() time.Time
	Access
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// Validate checks r's fields for its kind; field names are prefixed with
// prefix (e.g. "row 12: ").
func Validate(r *Record) []errs.Field {
	var fs []errs.Field
	bad := func(field, reason, format string, args ...any) {
		fs = append(fs, errs.Field{Field: field, Reason: reason, Detail: fmt.Sprintf(format, args...)})
	}
	r.Name = strings.TrimSpace(r.Name)
	r.Address = strings.TrimSpace(r.Address)
	if r.Kind != Household && r.Name == "" {
		bad("name", "name_required", "the name must not be empty")
	}
	if r.Kind == Household && r.Address == "" {
		bad("address", "address_required", "a household needs its address")
	}
	if len(r.Name) > 200 || len(r.Address) > 500 {
		bad("name", "too_long", "name up to 200 bytes, address up to 500")
	}
	if r.Kind == Person {
		if r.HouseholdID == nil || *r.HouseholdID <= 0 {
			bad("household_id", "household_required", "a person belongs to a household: give household_id")
		}
		if r.Geometry != nil {
			bad("geometry", "no_geometry", "a person has no location of its own; it follows its household")
		}
	} else {
		if r.HouseholdID != nil {
			bad("household_id", "not_allowed", "only people belong to a household")
		}
		switch g := r.Geometry.(type) {
		case nil:
			bad("geometry", "geometry_required", "a %s needs a location (a point)", r.Kind)
		case orb.Point:
			if !finite(g) {
				bad("geometry", "out_of_range", "want lon in [-180, 180] and lat in [-90, 90], got [%g, %g]", g[0], g[1])
			}
		case orb.Polygon, orb.MultiPolygon:
			if r.Kind != Building {
				bad("geometry", "point_required", "a %s is located by a point; only buildings may be polygons", r.Kind)
			}
		default:
			bad("geometry", "wrong_type", "want a Point (or a Polygon for a building), got %s", r.Geometry.GeoJSONType())
		}
	}
	if r.Phone != "" && !validPhone(r.Phone) {
		bad("phone", "invalid_phone", "want an 11-digit mobile number starting with 1 or a landline like 0531-12345678, got %q", r.Phone)
	}
	if r.IDNumber != "" {
		if r.Kind != Person {
			bad("id_number", "not_allowed", "only people have an ID number")
		} else if err := CheckIDNumber(r.IDNumber); err != nil {
			bad("id_number", "invalid_id_number", "%v", err)
		}
	}
	if r.Size != nil && (*r.Size < 1 || *r.Size > 100) {
		bad("size", "out_of_range", "want a household size from 1 to 100, got %d", *r.Size)
	}
	if r.Size != nil && r.Kind != Household {
		bad("size", "not_allowed", "only households have a size")
	}
	for _, t := range r.Tags {
		if _, ok := PersonTags[t]; !ok || r.Kind != Person {
			bad("tags", "invalid_tag", "want tags of people from %s, got %q", strings.Join(sortedKeys(PersonTags), ", "), t)
		}
	}
	switch r.Kind {
	case Business:
		if _, ok := BusinessTypes[r.Category]; !ok {
			bad("category", "invalid_business_type", "want a business type from %s, got %q", strings.Join(sortedKeys(BusinessTypes), ", "), r.Category)
		}
		for i, l := range r.Attrs.Licences {
			if _, ok := LicenceNames[l.Type]; !ok {
				bad(fmt.Sprintf("licences[%d].type", i), "invalid_licence_type", "want a licence type from %s, got %q", strings.Join(sortedKeys(LicenceNames), ", "), l.Type)
			}
			if l.Expires != "" {
				if _, err := time.Parse("2006-01-02", l.Expires); err != nil {
					bad(fmt.Sprintf("licences[%d].expires", i), "invalid_date", "want YYYY-MM-DD, got %q", l.Expires)
				}
			}
		}
	case Place:
		pt, ok := PlaceTypes[r.Category]
		if !ok {
			bad("category", "invalid_place_type", "want a place type from %s, got %q", strings.Join(sortedKeys(PlaceTypes), ", "), r.Category)
		}
		for i, c := range r.Attrs.Checklist {
			if ok && !slices.Contains(pt.Checklist, c.Item) {
				bad(fmt.Sprintf("checklist[%d].item", i), "invalid_check_item", "want one of the %s checklist items (%s), got %q", r.Category, strings.Join(pt.Checklist, "; "), c.Item)
			}
		}
	}
	if r.Kind != Business && len(r.Attrs.Licences) > 0 {
		bad("licences", "not_allowed", "only businesses hold licences")
	}
	if r.Kind != Place && len(r.Attrs.Checklist) > 0 {
		bad("checklist", "not_allowed", "only places of concern have a safety checklist")
	}
	if r.Kind != Building && (r.Attrs.Rental || r.Attrs.Dilapidated) {
		bad("rental", "not_allowed", "rental and dilapidated describe buildings")
	}
	return fs
}

func finite(p orb.Point) bool {
	return p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90 && p[0] == p[0] && p[1] == p[1]
}

func validPhone(s string) bool {
	if len(s) == 11 && s[0] == '1' && allDigits(s) {
		return true
	}
	if i := strings.IndexByte(s, '-'); i >= 3 && i <= 4 && s[0] == '0' && allDigits(s[:i]) && allDigits(s[i+1:]) && len(s)-i-1 >= 7 && len(s)-i-1 <= 8 {
		return true
	}
	return false
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// locationPoint returns the point that locates g.
func locationPoint(g orb.Geometry) orb.Point {
	switch v := g.(type) {
	case orb.Point:
		return v
	case orb.Polygon:
		return pointOnSurface(orb.MultiPolygon{v})
	case orb.MultiPolygon:
		return pointOnSurface(v)
	}
	return orb.Point{}
}

// pointOnSurface returns the centroid of the largest polygon when it lies
// inside it, else the midpoint of the widest
// horizontal chord through the ring's middle latitude.
func pointOnSurface(mp orb.MultiPolygon) orb.Point {
	var best orb.Polygon
	bestArea := -1.0
	for _, p := range mp {
		if len(p) == 0 {
			continue
		}
		if a := planar.Area(p); a > bestArea {
			best, bestArea = p, a
		}
	}
	if best == nil {
		return orb.Point{}
	}
	c, _ := planar.CentroidArea(best)
	if planar.PolygonContains(best, c) {
		return c
	}
	b := best.Bound()
	y := (b.Min[1] + b.Max[1]) / 2
	var xs []float64
	for _, ring := range best {
		for i := 0; i+1 < len(ring); i++ {
			a, bb := ring[i], ring[i+1]
			if (a[1] <= y) != (bb[1] <= y) {
				xs = append(xs, a[0]+(y-a[1])*(bb[0]-a[0])/(bb[1]-a[1]))
			}
		}
	}
	slices.Sort(xs)
	bestW, px := -1.0, c[0]
	for i := 0; i+1 < len(xs); i += 2 {
		if w := xs[i+1] - xs[i]; w > bestW {
			bestW, px = w, (xs[i]+xs[i+1])/2
		}
	}
	return orb.Point{px, y}
}
