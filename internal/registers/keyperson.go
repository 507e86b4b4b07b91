package registers

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
	"github.com/paulmach/orb"
)

// PermUnmask is the explicit permission needed to read key persons'
// protected fields unmasked (granted per user, on top of the role).
const PermUnmask = "keyperson:unmask"

// KeyPersonCategories are the key-person registers (P4 §四.(二).1).
var KeyPersonCategories = map[string]string{
	"community_correction":  "社区矫正人员",
	"released_prisoner":     "刑释解教人员",
	"drug_user":             "吸毒人员",
	"severe_mental_illness": "严重精神障碍患者",
	"petitioner":            "信访重点人员",
	"juvenile_offender":     "违法犯罪青少年",
	"other":                 "其他重点人员",
}

// KeyPerson is one file (一人一档) with its one responsible person.
type KeyPerson struct {
	ID                int64
	Category          string
	Name              string
	Address           string
	Point             *orb.Point
	GridCode          string
	ResidentID        *int64
	ResponsibleUserID int64
	ResponsibleName   string
	RiskLevel         string
	// Protected fields: plaintext on the way in and after Unmask only.
	IDNumber  string
	Diagnosis string
	CaseNotes string
	// What the store keeps.
	IDNumberEnc  []byte
	IDNumberMask string
	// IDNumberIdx is the ID number's blind index (Cipher.Index), to find a
	// file by ID number.
	IDNumberIdx  []byte
	DiagnosisEnc []byte
	CaseNotesEnc []byte
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Visit is one entry of a key person's visit log.
type Visit struct {
	ID          int64     `json:"id"`
	KeyPersonID int64     `json:"key_person_id"`
	VisitedOn   time.Time `json:"-"` // civil date
	VisitorID   int64     `json:"-"`
	Visitor     string    `json:"visitor"`
	Notes       string    `json:"-"`
	NotesEnc    []byte    `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
	GridCode    string    `json:"-"` // the file's grid (not stored)
}

// KeyPersonFilter selects key persons.
type KeyPersonFilter struct {
	Within   []string // grid subtree roots; nil = all
	GridCode *string
	Category *string
	IDNumber *string // exact, through the blind index
	After    int64
	Limit    int
}

// KeyPersonStore is what key persons need from the database.
type KeyPersonStore interface {
	NextKeyPersonID(ctx context.Context) (int64, error)
	CreateKeyPerson(ctx context.Context, k *KeyPerson) error
	UpdateKeyPerson(ctx context.Context, k *KeyPerson) error
	FindKeyPerson(ctx context.Context, id int64) (*KeyPerson, error)
	FindKeyPersons(ctx context.Context, f KeyPersonFilter) ([]*KeyPerson, int, error)
	CreateVisit(ctx context.Context, v *Visit) error
	FindVisits(ctx context.Context, keyPersonID int64) ([]*Visit, error)
	NextVisitID(ctx context.Context) (int64, error)
	// UserPermissions returns the explicit permissions of a user.
	UserPermissions(ctx context.Context, userID int64) ([]string, error)
	SetUserPermissions(ctx context.Context, username string, perms []string) error
	// UserExists reports whether the responsible person is a known user.
	UserExists(ctx context.Context, userID int64) (bool, error)
}

// KeyPersons is the key-person service.
type KeyPersons struct {
	Store  KeyPersonStore
	Locate GridLocator
	Cipher *Cipher
	Now    func() time.Time
	// Users finds the user a file is handed to; PrincipalFor says what
	// that user may reach (a file goes only to someone who can act on it).
	Users        UserFinder
	PrincipalFor func(ctx context.Context, u *people.User) (*auth.Principal, error)
	Access
}

func (s *KeyPersons) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func kpAD(id int64, field string) []byte { return AD("key_persons", id, field) }

// ValidateKeyPerson checks a key person's fields.
func ValidateKeyPerson(k *KeyPerson) []errs.Field {
	var fs []errs.Field
	bad := func(field, reason, format string, args ...any) {
		fs = append(fs, errs.Field{Field: field, Reason: reason, Detail: fmt.Sprintf(format, args...)})
	}
	k.Name = strings.TrimSpace(k.Name)
	if _, ok := KeyPersonCategories[k.Category]; !ok {
		bad("category", "invalid_category", "want one of %s, got %q", strings.Join(sortedKeys(KeyPersonCategories), ", "), k.Category)
	}
	if k.Name == "" {
		bad("name", "name_required", "the name must not be empty")
	}
	if err := CheckIDNumber(k.IDNumber); err != nil {
		bad("id_number", "invalid_id_number", "%v", err)
	}
	if k.ResponsibleUserID <= 0 {
		bad("responsible", "responsible_required", "one file, one responsible person: name the responsible user")
	}
	switch k.RiskLevel {
	case "":
		k.RiskLevel = "normal"
	case "low", "normal", "high":
	default:
		bad("risk_level", "invalid_risk_level", "want low, normal or high, got %q", k.RiskLevel)
	}
	if k.Point == nil && k.GridCode == "" {
		bad("location", "location_required", "give the home location (lon, lat) or the grid code")
	}
	if k.Point != nil && !finite(*k.Point) {
		bad("location", "out_of_range", "want lon in [-180, 180] and lat in [-90, 90]")
	}
	if len(k.Diagnosis) > 4000 || len(k.CaseNotes) > 20000 {
		bad("case_notes", "too_long", "diagnosis up to 4000 bytes, case notes up to 20000")
	}
	return fs
}

// UserFinder finds users.
type UserFinder interface {
	FindUserByUsername(ctx context.Context, username string) (*people.User, error)
	FindUserByID(ctx context.Context, id int64) (*people.User, error)
}

// Create validates, locates, encrypts and stores a new file as p, handed
// to the user named responsible. p must write records of the file's grid,
// and so must the responsible user: a file is never handed to someone who
// cannot act on it.
func (s *KeyPersons) Create(ctx context.Context, p *auth.Principal, k *KeyPerson, responsible string) error {
	if err := requireWriter(p); err != nil {
		return err
	}
	canWrite := s.CanWrite(p)
	if responsible != "" {
		u, err := s.findResponsible(ctx, responsible)
		if err != nil {
			return err
		}
		k.ResponsibleUserID, k.ResponsibleName = u.ID, u.Name
	}
	if fs := ValidateKeyPerson(k); len(fs) > 0 {
		return invalid(fs, "the key person is invalid")
	}
	if k.Point != nil {
		codes, err := s.Locate(ctx, []orb.Point{*k.Point})
		if err != nil {
			return err
		}
		if codes[0] == "" && k.GridCode == "" {
			return errs.Invalidf("location", "outside_every_grid", "the location lies outside every grid; give grid_code")
		}
		if codes[0] != "" {
			k.GridCode = codes[0]
		}
	}
	if !canWrite(k.GridCode) {
		return errs.Forbiddenf("grid %s is outside your scope", k.GridCode)
	}
	if err := s.checkResponsible(ctx, k.ResponsibleUserID, k.GridCode); err != nil {
		return err
	}
	id, err := s.Store.NextKeyPersonID(ctx)
	if err != nil {
		return err
	}
	k.ID = id
	s.seal(k)
	now := s.now()
	k.CreatedAt, k.UpdatedAt = now, now
	return s.Store.CreateKeyPerson(ctx, k)
}

func (s *KeyPersons) seal(k *KeyPerson) {
	k.IDNumberEnc = s.Cipher.Seal(k.IDNumber, kpAD(k.ID, "id_number"))
	k.IDNumberIdx = s.Cipher.Index("id_number", k.IDNumber)
	k.IDNumberMask = MaskIDNumber(k.IDNumber)
	k.DiagnosisEnc = s.Cipher.Seal(k.Diagnosis, kpAD(k.ID, "diagnosis"))
	k.CaseNotesEnc = s.Cipher.Seal(k.CaseNotes, kpAD(k.ID, "case_notes"))
	k.IDNumber, k.Diagnosis, k.CaseNotes = "", "", ""
}

// open decrypts k's protected fields in place. The caller has checked
// the permission and recorded the reason in the audit log.
func (s *KeyPersons) open(k *KeyPerson) error {
	var err error
	if k.IDNumber, err = s.Cipher.Open(k.IDNumberEnc, kpAD(k.ID, "id_number")); err != nil {
		return err
	}
	if k.Diagnosis, err = s.Cipher.Open(k.DiagnosisEnc, kpAD(k.ID, "diagnosis")); err != nil {
		return err
	}
	k.CaseNotes, err = s.Cipher.Open(k.CaseNotesEnc, kpAD(k.ID, "case_notes"))
	return err
}

// CanUnmask reports whether the user holds PermUnmask.
func (s *KeyPersons) CanUnmask(ctx context.Context, userID int64) (bool, error) {
	ps, err := s.Store.UserPermissions(ctx, userID)
	if err != nil {
		return false, err
	}
	for _, p := range ps {
		if p == PermUnmask {
			return true, nil
		}
	}
	return false, nil
}

// AddVisit records a visit by p to file v.KeyPersonID (one p may write);
// its notes are sealed like case notes.
func (s *KeyPersons) AddVisit(ctx context.Context, p *auth.Principal, v *Visit) error {
	k, err := s.find(ctx, p, v.KeyPersonID)
	if err != nil {
		return err
	}
	if !s.CanWrite(p)(k.GridCode) {
		return errs.Forbiddenf("grid %s is outside your scope", k.GridCode)
	}
	v.GridCode = k.GridCode
	v.VisitorID, v.Visitor = p.User.ID, p.User.Name
	if v.VisitedOn.IsZero() {
		return errs.Invalidf("visited_on", "date_required", "give the visit date YYYY-MM-DD")
	}
	if v.VisitedOn.After(s.now().Add(24 * time.Hour)) {
		return errs.Invalidf("visited_on", "date_in_future", "the visit date %s is in the future", v.VisitedOn.Format("2006-01-02"))
	}
	id, err := s.Store.NextVisitID(ctx)
	if err != nil {
		return err
	}
	v.ID = id
	v.NotesEnc = s.Cipher.Seal(v.Notes, AD("key_person_visits", id, "notes"))
	v.Notes = ""
	v.CreatedAt = s.now()
	return s.Store.CreateVisit(ctx, v)
}

// OpenVisitNotes decrypts a visit's notes.
func (s *KeyPersons) OpenVisitNotes(v *Visit) (string, error) {
	return s.Cipher.Open(v.NotesEnc, AD("key_person_visits", v.ID, "notes"))
}

// KeyPersonUpdate lists the fields to change; nil fields stay.
type KeyPersonUpdate struct {
	Category          *string
	Name              *string
	Address           *string
	Point             *orb.Point
	GridCode          *string
	ResponsibleUserID *int64
	RiskLevel         *string
	IDNumber          *string
	Diagnosis         *string
	CaseNotes         *string
}

// Update changes file id as p and returns it. The protected fields are
// opened in memory, changed, validated and sealed again; p must write the
// file's grid before and after, and the responsible user (a new one named
// by responsible, or the current one) must be able to act on the file
// where it ends up.
func (s *KeyPersons) Update(ctx context.Context, p *auth.Principal, id int64, u KeyPersonUpdate, responsible *string) (*KeyPerson, error) {
	if err := requireWriter(p); err != nil {
		return nil, err
	}
	k, err := s.find(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if responsible != nil {
		usr, err := s.findResponsible(ctx, *responsible)
		if err != nil {
			return nil, err
		}
		u.ResponsibleUserID = &usr.ID
		k.ResponsibleName = usr.Name
	}
	return k, s.update(ctx, p, k, u)
}

func (s *KeyPersons) update(ctx context.Context, p *auth.Principal, k *KeyPerson, u KeyPersonUpdate) error {
	canWrite := s.CanWrite(p)
	if !canWrite(k.GridCode) {
		return errs.Forbiddenf("grid %s is outside your scope", k.GridCode)
	}
	if err := s.open(k); err != nil {
		return err
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&k.Category, u.Category)
	set(&k.Name, u.Name)
	set(&k.Address, u.Address)
	set(&k.RiskLevel, u.RiskLevel)
	set(&k.IDNumber, u.IDNumber)
	set(&k.Diagnosis, u.Diagnosis)
	set(&k.CaseNotes, u.CaseNotes)
	if u.ResponsibleUserID != nil {
		k.ResponsibleUserID = *u.ResponsibleUserID
	}
	if u.GridCode != nil {
		k.GridCode = *u.GridCode
	}
	if u.Point != nil {
		k.Point = u.Point
	}
	if fs := ValidateKeyPerson(k); len(fs) > 0 {
		return invalid(fs, "the key person is invalid")
	}
	if u.Point != nil {
		codes, err := s.Locate(ctx, []orb.Point{*k.Point})
		if err != nil {
			return err
		}
		if codes[0] != "" {
			k.GridCode = codes[0]
		} else if u.GridCode == nil {
			return errs.Invalidf("location", "outside_every_grid", "the location lies outside every grid; give grid_code")
		}
	}
	if !canWrite(k.GridCode) {
		return errs.Forbiddenf("grid %s is outside your scope", k.GridCode)
	}
	if err := s.checkResponsible(ctx, k.ResponsibleUserID, k.GridCode); err != nil {
		return err
	}
	s.seal(k)
	k.UpdatedAt = s.now()
	return s.Store.UpdateKeyPerson(ctx, k)
}
