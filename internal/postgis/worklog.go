package postgis

import (
	"context"
	"errors"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/workday"
	"github.com/gridd/gridd/internal/worklog"
	"github.com/jackc/pgx/v5"
)

// WorklogStore reads a worker's day and keeps its daily log entries
// (migration 00028).
type WorklogStore struct {
	db *DB
	// KeyPersons unseals the names of key persons visited.
	KeyPersons *KeyPersonStore
}

// NewWorklogStore returns the store; kp unseals key persons' names.
func NewWorklogStore(db *DB, kp *KeyPersonStore) *WorklogStore {
	return &WorklogStore{db: db, KeyPersons: kp}
}

var _ worklog.Store = (*WorklogStore)(nil)

// DayCases returns the cases userID reported in [from, to) and its
// verification steps (verify_pass, verify_fail) in the same span, by time.
func (s *WorklogStore) DayCases(ctx context.Context, userID int64, from, to time.Time) ([]worklog.CaseItem, []worklog.CaseItem, error) {
	reports := []worklog.CaseItem{}
	rows, err := s.db.Pool.Query(ctx, `
SELECT id, number, category_code, reported_at, status FROM cases
WHERE reporter_id = $1 AND reported_at >= $2 AND reported_at < $3 ORDER BY reported_at, id`, userID, from, to)
	if err != nil {
		return nil, nil, translate(err, "day reports")
	}
	for rows.Next() {
		var c worklog.CaseItem
		if err := rows.Scan(&c.ID, &c.Number, &c.Category, &c.At, &c.Status); err != nil {
			rows.Close()
			return nil, nil, err
		}
		reports = append(reports, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, translate(err, "day reports")
	}
	verifications := []worklog.CaseItem{}
	rows, err = s.db.Pool.Query(ctx, `
SELECT c.id, c.number, c.category_code, e.at, e.action, c.status
FROM case_events e JOIN cases c ON c.id = e.case_id
WHERE e.actor_id = $1 AND e.action IN ('verify_pass', 'verify_fail') AND e.at >= $2 AND e.at < $3
ORDER BY e.at, e.id`, userID, from, to)
	if err != nil {
		return nil, nil, translate(err, "day verifications")
	}
	defer rows.Close()
	for rows.Next() {
		var c worklog.CaseItem
		if err := rows.Scan(&c.ID, &c.Number, &c.Category, &c.At, &c.Action, &c.Status); err != nil {
			return nil, nil, err
		}
		verifications = append(verifications, c)
	}
	return reports, verifications, translate(rows.Err(), "day verifications")
}

// DayVisits returns the visits userID recorded on day, by time.
func (s *WorklogStore) DayVisits(ctx context.Context, userID int64, day workday.Date) ([]worklog.VisitItem, error) {
	rows, err := s.db.Pool.Query(ctx, `
SELECT v.id, v.target_kind, v.target_id, coalesce(nullif(t.name, ''), t.address, ''), v.visited_at, v.on_site, k.name_enc
FROM visits v
LEFT JOIN register_records t ON v.target_kind <> 'key_person' AND t.id = v.target_id
LEFT JOIN key_persons k ON v.target_kind = 'key_person' AND k.id = v.target_id
WHERE v.visitor_id = $1 AND v.visited_on = $2 ORDER BY v.visited_at, v.id`, userID, day.String())
	if err != nil {
		return nil, translate(err, "day visits")
	}
	defer rows.Close()
	out := []worklog.VisitItem{}
	for rows.Next() {
		var v worklog.VisitItem
		var kname []byte
		if err := rows.Scan(&v.ID, &v.TargetKind, &v.TargetID, &v.TargetName, &v.At, &v.OnSite, &kname); err != nil {
			return nil, err
		}
		if kname != nil {
			name, _, _, err := s.KeyPersons.OpenIdentity(v.TargetID, kname, nil, nil)
			if err != nil {
				return nil, err
			}
			v.TargetName = name
		}
		out = append(out, v)
	}
	return out, translate(rows.Err(), "day visits")
}

// FindEntry returns a day's entry, or NotFound.
func (s *WorklogStore) FindEntry(ctx context.Context, userID int64, day workday.Date) (*worklog.Entry, error) {
	e := worklog.Entry{UserID: userID, Day: day}
	err := s.db.Pool.QueryRow(ctx, `SELECT notes, late, submitted_at, updated_at, version FROM worklogs WHERE user_id = $1 AND day = $2`,
		userID, day.String()).Scan(&e.Notes, &e.Late, &e.SubmittedAt, &e.UpdatedAt, &e.Version)
	if err != nil {
		return nil, translate(err, "daily log entry of "+day.String())
	}
	return &e, nil
}

// CreateEntry inserts e; the day's second entry is a Conflict, unless key
// is the key its entry was last written with: then e is filled from the
// stored row and replayed is true, with the stored request hash.
func (s *WorklogStore) CreateEntry(ctx context.Context, e *worklog.Entry, key string, hash []byte) (bool, []byte, error) {
	k, h := idemArgs(key, hash)
	tag, err := s.db.Pool.Exec(ctx, `
INSERT INTO worklogs (user_id, day, notes, late, submitted_at, updated_at, version, idem_key, request_hash) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8)
ON CONFLICT (user_id, day) DO NOTHING`, e.UserID, e.Day.String(), e.Notes, e.Late, e.SubmittedAt, e.UpdatedAt, k, h)
	if err != nil {
		return false, nil, translate(err, "daily log entry")
	}
	if tag.RowsAffected() == 1 {
		return false, nil, nil
	}
	if stored, ok, err := s.replay(ctx, e, key); err != nil || ok {
		return ok, stored, err
	}
	return false, nil, errs.Conflictf("already_submitted", "the log of %s was already submitted: amend it with PUT and If-Match", e.Day)
}

// replay fills e from the stored entry when its last write carried key.
func (s *WorklogStore) replay(ctx context.Context, e *worklog.Entry, key string) ([]byte, bool, error) {
	if key == "" {
		return nil, false, nil
	}
	var storedKey *string
	var stored []byte
	err := s.db.Pool.QueryRow(ctx, `SELECT notes, late, submitted_at, updated_at, version, idem_key, request_hash FROM worklogs WHERE user_id = $1 AND day = $2`,
		e.UserID, e.Day.String()).Scan(&e.Notes, &e.Late, &e.SubmittedAt, &e.UpdatedAt, &e.Version, &storedKey, &stored)
	if err != nil {
		return nil, false, translate(err, "daily log entry of "+e.Day.String())
	}
	return stored, storedKey != nil && *storedKey == key, nil
}

// UpdateEntry replaces the notes when the stored version is e.Version-1;
// it fills e from the stored row. A stale version is a Conflict unless the
// entry was last written under key (a retry): then replayed is true.
func (s *WorklogStore) UpdateEntry(ctx context.Context, e *worklog.Entry, key string, hash []byte) (bool, []byte, error) {
	k, h := idemArgs(key, hash)
	read := *e
	err := s.db.Pool.QueryRow(ctx, `
UPDATE worklogs SET notes = $3, updated_at = $4, version = version + 1, idem_key = $6, request_hash = $7
WHERE user_id = $1 AND day = $2 AND version = $5
RETURNING late, submitted_at, version`, e.UserID, e.Day.String(), e.Notes, e.UpdatedAt, e.Version-1, k, h).Scan(&e.Late, &e.SubmittedAt, &e.Version)
	if err == nil {
		return false, nil, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return false, nil, translate(err, "daily log entry")
	}
	if _, ferr := s.FindEntry(ctx, e.UserID, e.Day); ferr != nil {
		return false, nil, ferr
	}
	if stored, ok, err := s.replay(ctx, e, key); err != nil || ok {
		return ok, stored, err
	}
	return false, nil, errs.Conflictf("stale_version", "the log of %s was changed since version %d: read it again", read.Day, read.Version-1)
}
