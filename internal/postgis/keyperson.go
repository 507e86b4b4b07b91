package postgis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/registers"
	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

// KeyPersonStore implements registers.KeyPersonStore. It seals a file's
// name, address and category at rest (Cipher, bound to row and field) and
// keeps a blind index of the category (Cipher.Index) to filter by; the ID
// number (with its blind index), diagnosis and notes arrive sealed by the
// service.
type KeyPersonStore struct {
	db     *DB
	Cipher *registers.Cipher
}

var _ registers.KeyPersonStore = (*KeyPersonStore)(nil)

// NewKeyPersonStore returns the key-person store on db, sealing with c.
func NewKeyPersonStore(db *DB, c *registers.Cipher) *KeyPersonStore {
	return &KeyPersonStore{db: db, Cipher: c}
}

type sealedIdentity struct {
	name, address, category, categoryIdx []byte
}

func (s *KeyPersonStore) sealIdentity(k *registers.KeyPerson) (sealedIdentity, error) {
	if s.Cipher == nil {
		return sealedIdentity{}, errors.New("key person store without a cipher")
	}
	return sealedIdentity{
		name:        s.Cipher.Seal(k.Name, registers.AD("key_persons", k.ID, "name")),
		address:     s.Cipher.Seal(k.Address, registers.AD("key_persons", k.ID, "address")),
		category:    s.Cipher.Seal(k.Category, registers.AD("key_persons", k.ID, "category")),
		categoryIdx: s.Cipher.Index("category", k.Category),
	}, nil
}

// OpenIdentity unseals a key person's name, address and category as
// other stores read them (the visits' targets, the daily log); a nil field
// opens to "".
func (s *KeyPersonStore) OpenIdentity(id int64, nameEnc, addrEnc, catEnc []byte) (name, address, category string, err error) {
	if s == nil || s.Cipher == nil {
		return "", "", "", errors.New("key person store without a cipher")
	}
	out := [3]string{}
	for i, f := range []struct {
		b     []byte
		field string
	}{{nameEnc, "name"}, {addrEnc, "address"}, {catEnc, "category"}} {
		if f.b == nil {
			continue
		}
		if out[i], err = s.Cipher.Open(f.b, registers.AD("key_persons", id, f.field)); err != nil {
			return "", "", "", fmt.Errorf("key person %d: %s: %w", id, f.field, err)
		}
	}
	return out[0], out[1], out[2], nil
}

// NextKeyPersonID reserves an id (the associated data of the sealed fields).
func (s *KeyPersonStore) NextKeyPersonID(ctx context.Context) (int64, error) {
	var id int64
	err := s.db.Pool.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('key_persons', 'id'))`).Scan(&id)
	return id, translate(err, "key person id")
}

// NextVisitID reserves a visit id.
func (s *KeyPersonStore) NextVisitID(ctx context.Context) (int64, error) {
	var id int64
	err := s.db.Pool.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('key_person_visits', 'id'))`).Scan(&id)
	return id, translate(err, "visit id")
}

// CreateKeyPerson inserts a file whose protected fields are already sealed.
func (s *KeyPersonStore) CreateKeyPerson(ctx context.Context, k *registers.KeyPerson) error {
	var point []byte
	if k.Point != nil {
		var err error
		if point, err = encodeGeom(*k.Point); err != nil {
			return err
		}
	}
	id, err := s.sealIdentity(k)
	if err != nil {
		return err
	}
	_, err = s.db.exec(ctx, `
INSERT INTO key_persons (id, category_enc, name_enc, address_enc, point, grid_code, resident_id, responsible_user_id, risk_level,
	id_number_enc, id_number_mask, diagnosis_enc, case_notes_enc, created_at, updated_at, category_idx, id_number_idx)
VALUES ($1, $2, $3, $4, $5::geometry, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
		k.ID, id.category, id.name, id.address, point, nullIfZero(k.GridCode), k.ResidentID, k.ResponsibleUserID, k.RiskLevel,
		k.IDNumberEnc, k.IDNumberMask, k.DiagnosisEnc, k.CaseNotesEnc, k.CreatedAt, k.UpdatedAt, id.categoryIdx, k.IDNumberIdx)
	return translate(err, "key person")
}

// UpdateKeyPerson rewrites a file; its protected fields are already sealed.
func (s *KeyPersonStore) UpdateKeyPerson(ctx context.Context, k *registers.KeyPerson) error {
	var point []byte
	if k.Point != nil {
		var err error
		if point, err = encodeGeom(*k.Point); err != nil {
			return err
		}
	}
	id, err := s.sealIdentity(k)
	if err != nil {
		return err
	}
	tag, err := s.db.exec(ctx, `
UPDATE key_persons SET category_enc = $2, name_enc = $3, address_enc = $4, point = $5::geometry, grid_code = $6, resident_id = $7,
	responsible_user_id = $8, risk_level = $9, id_number_enc = $10, id_number_mask = $11, diagnosis_enc = $12,
	case_notes_enc = $13, updated_at = $14, category_idx = $15, id_number_idx = $16, category = NULL, name = NULL, address = NULL
WHERE id = $1`,
		k.ID, id.category, id.name, id.address, point, nullIfZero(k.GridCode), k.ResidentID, k.ResponsibleUserID, k.RiskLevel,
		k.IDNumberEnc, k.IDNumberMask, k.DiagnosisEnc, k.CaseNotesEnc, k.UpdatedAt, id.categoryIdx, k.IDNumberIdx)
	if err != nil {
		return translate(err, "key person")
	}
	if tag.RowsAffected() == 0 {
		return errs.NotFoundf("key person %d not found", k.ID)
	}
	return nil
}

const keyPersonColumns = `k.id, k.category_enc, k.name_enc, k.address_enc, k.point, coalesce(k.grid_code, ''), k.resident_id,
	k.responsible_user_id, u.name, k.risk_level, k.id_number_enc, k.id_number_mask, k.diagnosis_enc, k.case_notes_enc,
	k.created_at, k.updated_at`

// scanKeyPerson reads a file, opening its sealed identity.
func (s *KeyPersonStore) scanKeyPerson(row pgx.Row) (*registers.KeyPerson, error) {
	var k registers.KeyPerson
	var point, catEnc, nameEnc, addrEnc []byte
	if err := row.Scan(&k.ID, &catEnc, &nameEnc, &addrEnc, &point, &k.GridCode, &k.ResidentID, &k.ResponsibleUserID,
		&k.ResponsibleName, &k.RiskLevel, &k.IDNumberEnc, &k.IDNumberMask, &k.DiagnosisEnc, &k.CaseNotesEnc,
		&k.CreatedAt, &k.UpdatedAt); err != nil {
		return nil, err
	}
	if s.Cipher == nil {
		return nil, errors.New("key person store without a cipher")
	}
	for _, f := range []struct {
		dst   *string
		b     []byte
		field string
	}{{&k.Category, catEnc, "category"}, {&k.Name, nameEnc, "name"}, {&k.Address, addrEnc, "address"}} {
		v, err := s.Cipher.Open(f.b, registers.AD("key_persons", k.ID, f.field))
		if err != nil {
			return nil, fmt.Errorf("key person %d: %s: %w", k.ID, f.field, err)
		}
		*f.dst = v
	}
	if point != nil {
		g, err := decodeGeom(point)
		if err != nil {
			return nil, err
		}
		p := g.(orb.Point)
		k.Point = &p
	}
	return &k, nil
}

// FindKeyPerson returns one file.
func (s *KeyPersonStore) FindKeyPerson(ctx context.Context, id int64) (*registers.KeyPerson, error) {
	k, err := s.scanKeyPerson(s.db.Pool.QueryRow(ctx, `SELECT `+keyPersonColumns+`
FROM key_persons k JOIN users u ON u.id = k.responsible_user_id WHERE k.id = $1`, id))
	if err != nil {
		return nil, translate(err, "key person")
	}
	return k, nil
}

// FindKeyPersons returns a page of files and the total matching f.
func (s *KeyPersonStore) FindKeyPersons(ctx context.Context, f registers.KeyPersonFilter) ([]*registers.KeyPerson, int, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	a := &sqlArgs{}
	var w []string
	if f.Within != nil {
		w = append(w, gridScopeCondition(a, "k.grid_code", f.Within))
	}
	if f.GridCode != nil {
		w = append(w, "k.grid_code = "+a.add(*f.GridCode))
	}
	if f.Category != nil {
		w = append(w, "k.category_idx = "+a.add(s.Cipher.Index("category", *f.Category)))
	}
	if f.IDNumber != nil {
		w = append(w, "k.id_number_idx = "+a.add(s.Cipher.Index("id_number", *f.IDNumber)))
	}
	cond := and(w)
	var total int
	if err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM key_persons k WHERE `+cond, a.vals...).Scan(&total); err != nil {
		return nil, 0, translate(err, "key persons")
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT `+keyPersonColumns+`
FROM key_persons k JOIN users u ON u.id = k.responsible_user_id WHERE `+cond+`
  AND k.id > `+a.add(f.After)+` ORDER BY k.id LIMIT `+a.add(limit), a.vals...)
	if err != nil {
		return nil, 0, translate(err, "key persons")
	}
	defer rows.Close()
	var out []*registers.KeyPerson
	for rows.Next() {
		k, err := s.scanKeyPerson(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, k)
	}
	return out, total, translate(rows.Err(), "key persons")
}

// CreateVisit inserts a visit whose notes are already sealed.
func (s *KeyPersonStore) CreateVisit(ctx context.Context, v *registers.Visit) error {
	_, err := s.db.exec(ctx, `INSERT INTO key_person_visits (id, key_person_id, visited_on, visitor_id, notes_enc, created_at)
VALUES ($1, $2, $3, $4, $5, $6)`, v.ID, v.KeyPersonID, v.VisitedOn, v.VisitorID, v.NotesEnc, v.CreatedAt)
	return translate(err, "visit")
}

// FindVisits returns a file's visits, newest first.
func (s *KeyPersonStore) FindVisits(ctx context.Context, keyPersonID int64) ([]*registers.Visit, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT v.id, v.key_person_id, v.visited_on, v.visitor_id, u.name, v.notes_enc, v.created_at
FROM key_person_visits v JOIN users u ON u.id = v.visitor_id WHERE v.key_person_id = $1 ORDER BY v.visited_on DESC, v.id DESC`, keyPersonID)
	if err != nil {
		return nil, translate(err, "visits")
	}
	defer rows.Close()
	var out []*registers.Visit
	for rows.Next() {
		var v registers.Visit
		var day time.Time
		if err := rows.Scan(&v.ID, &v.KeyPersonID, &day, &v.VisitorID, &v.Visitor, &v.NotesEnc, &v.CreatedAt); err != nil {
			return nil, err
		}
		v.VisitedOn = day
		out = append(out, &v)
	}
	return out, translate(rows.Err(), "visits")
}

// UserPermissions returns a user's explicit permissions.
func (s *KeyPersonStore) UserPermissions(ctx context.Context, userID int64) ([]string, error) {
	var ps []string
	err := s.db.Pool.QueryRow(ctx, `SELECT permissions FROM users WHERE id = $1`, userID).Scan(&ps)
	return ps, translate(err, "user")
}

// SetUserPermissions replaces a user's explicit permissions.
func (s *KeyPersonStore) SetUserPermissions(ctx context.Context, username string, perms []string) error {
	if perms == nil {
		perms = []string{}
	}
	tag, err := s.db.exec(ctx, `UPDATE users SET permissions = $2 WHERE username = $1`, username, perms)
	if err != nil {
		return translate(err, "user")
	}
	if tag.RowsAffected() == 0 {
		return errs.NotFoundf("user %s not found", username)
	}
	return nil
}

// UserExists reports whether a user id exists.
func (s *KeyPersonStore) UserExists(ctx context.Context, userID int64) (bool, error) {
	var ok bool
	err := s.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)`, userID).Scan(&ok)
	return ok, translate(err, "user")
}

// SealPlaintext seals the identity of files written before it was sealed
// (plaintext name, address and category), clearing the plaintext, and
// returns how many it sealed.
func (s *KeyPersonStore) SealPlaintext(ctx context.Context) (int, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT id, coalesce(category, ''), coalesce(name, ''), coalesce(address, ''), id_number_enc FROM key_persons WHERE name_enc IS NULL ORDER BY id`)
	if err != nil {
		return 0, translate(err, "key persons")
	}
	var ks []*registers.KeyPerson
	var k registers.KeyPerson
	if _, err := pgx.ForEachRow(rows, []any{&k.ID, &k.Category, &k.Name, &k.Address, &k.IDNumberEnc}, func() error {
		c := k
		ks = append(ks, &c)
		return nil
	}); err != nil {
		return 0, translate(err, "key persons")
	}
	if s.Cipher == nil {
		return 0, errors.New("key person store without a cipher")
	}
	for _, k := range ks {
		var err error
		if k.IDNumber, err = s.Cipher.Open(k.IDNumberEnc, registers.AD("key_persons", k.ID, "id_number")); err != nil {
			return 0, fmt.Errorf("key person %d: id_number: %w", k.ID, err)
		}
	}
	for _, k := range ks {
		id, err := s.sealIdentity(k)
		if err != nil {
			return 0, err
		}
		if _, err := s.db.Pool.Exec(ctx, `UPDATE key_persons SET category_enc = $2, name_enc = $3, address_enc = $4, category_idx = $5,
	id_number_idx = $6, category = NULL, name = NULL, address = NULL WHERE id = $1 AND name_enc IS NULL`,
			k.ID, id.category, id.name, id.address, id.categoryIdx, s.Cipher.Index("id_number", k.IDNumber)); err != nil {
			return 0, translate(err, "key person")
		}
	}
	return len(ks), nil
}
