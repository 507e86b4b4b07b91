package postgis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/visits"
	"github.com/gridd/gridd/internal/workday"
	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

// VisitStore keeps visit schedules and visits (migration 00028).
type VisitStore struct {
	db *DB
	// KeyPersons unseals the identity of key persons visited.
	KeyPersons *KeyPersonStore
}

// NewVisitStore returns the store; kp unseals key persons' identity.
func NewVisitStore(db *DB, kp *KeyPersonStore) *VisitStore {
	return &VisitStore{db: db, KeyPersons: kp}
}

var _ visits.Store = (*VisitStore)(nil)

func pointOf(lon, lat *float64) *orb.Point {
	if lon == nil || lat == nil {
		return nil
	}
	return &orb.Point{*lon, *lat}
}

// FindTarget returns a household, business, place or key person.
func (s *VisitStore) FindTarget(ctx context.Context, kind string, id int64) (*visits.Target, error) {
	t := visits.Target{Kind: kind, ID: id}
	var lon, lat *float64
	var err error
	if kind == "key_person" {
		var name, addr, cat []byte
		err = s.db.Pool.QueryRow(ctx, `
SELECT name_enc, address_enc, category_enc, coalesce(grid_code, ''), ST_X(point), ST_Y(point) FROM key_persons WHERE id = $1`, id).
			Scan(&name, &addr, &cat, &t.GridCode, &lon, &lat)
		if err == nil {
			t.Name, t.Address, t.Category, err = s.KeyPersons.OpenIdentity(id, name, addr, cat)
		}
	} else {
		err = s.db.Pool.QueryRow(ctx, `
SELECT name, address, category, coalesce(grid_code, ''), ST_X(point), ST_Y(point) FROM register_records WHERE id = $1 AND kind = $2`, id, kind).
			Scan(&t.Name, &t.Address, &t.Category, &t.GridCode, &lon, &lat)
	}
	if err != nil {
		return nil, translate(err, fmt.Sprintf("%s %d", kind, id))
	}
	t.Point = pointOf(lon, lat)
	return &t, nil
}

// PhotosOwned counts the uploads among ids that owner made.
func (s *VisitStore) PhotosOwned(ctx context.Context, ids []int64, owner int64) (int, error) {
	var n int
	err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM uploads WHERE id = ANY($1) AND owner_id = $2`, ids, owner).Scan(&n)
	return n, translate(err, "photos")
}

// CreateVisit inserts v. A key its visitor used before returns the visit
// stored first (v.Replayed) when the request hash matches, else
// Unprocessable; ON CONFLICT makes concurrent retries safe.
func (s *VisitStore) CreateVisit(ctx context.Context, v *visits.Visit) error {
	err := s.db.Pool.QueryRow(ctx, `
INSERT INTO visits (target_kind, target_id, visitor_id, grid_code, visited_at, visited_on, point, distance_m, on_site,
                    notes, photo_ids, idempotency_key, request_hash, created_at)
VALUES ($1, $2, $3, $4, $5, $6, ST_SetSRID(ST_MakePoint($7, $8), 4326), $9, $10, $11, $12, $13, $14, $15)
ON CONFLICT (visitor_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
RETURNING id`,
		v.TargetKind, v.TargetID, v.VisitorID, v.GridCode, v.VisitedAt, v.VisitedOn.String(), v.Point[0], v.Point[1],
		v.DistanceM, v.OnSite, v.Notes, v.PhotoIDs, nullIfEmpty(v.Key), v.Hash, v.CreatedAt).Scan(&v.ID)
	if !errors.Is(err, pgx.ErrNoRows) || v.Key == "" {
		return translate(err, "visit")
	}
	var hash []byte
	var id int64
	if err := s.db.Pool.QueryRow(ctx, `SELECT id, request_hash FROM visits WHERE visitor_id = $1 AND idempotency_key = $2`,
		v.VisitorID, v.Key).Scan(&id, &hash); err != nil {
		return translate(err, "visit")
	}
	if !bytes.Equal(hash, v.Hash) {
		return errs.E(errs.Unprocessable, "idempotency_key_reused", "this Idempotency-Key was used for a different visit; use a new key for a new visit")
	}
	got, err := s.findVisit(ctx, id)
	if err != nil {
		return err
	}
	*v = *got
	v.Replayed = true
	return nil
}

const visitColumns = `v.id, v.target_kind, v.target_id, coalesce(nullif(t.name, ''), t.address, ''), v.visitor_id, u.name, v.grid_code, v.visited_at,
       v.visited_on, ST_X(v.point), ST_Y(v.point), v.distance_m, v.on_site, v.notes, v.photo_ids, v.created_at, k.name_enc
FROM visits v JOIN users u ON u.id = v.visitor_id
LEFT JOIN register_records t ON v.target_kind <> 'key_person' AND t.id = v.target_id
LEFT JOIN key_persons k ON v.target_kind = 'key_person' AND k.id = v.target_id`

func (s *VisitStore) scanVisit(row pgx.Row) (*visits.Visit, error) {
	var v visits.Visit
	var on time.Time
	var lon, lat float64
	var kname []byte
	if err := row.Scan(&v.ID, &v.TargetKind, &v.TargetID, &v.TargetName, &v.VisitorID, &v.VisitorName, &v.GridCode, &v.VisitedAt,
		&on, &lon, &lat, &v.DistanceM, &v.OnSite, &v.Notes, &v.PhotoIDs, &v.CreatedAt, &kname); err != nil {
		return nil, err
	}
	if kname != nil {
		name, _, _, err := s.KeyPersons.OpenIdentity(v.TargetID, kname, nil, nil)
		if err != nil {
			return nil, err
		}
		v.TargetName = name
	}
	v.VisitedOn = dateOf(on)
	v.Point = orb.Point{lon, lat}
	return &v, nil
}

func (s *VisitStore) findVisit(ctx context.Context, id int64) (*visits.Visit, error) {
	v, err := s.scanVisit(s.db.Pool.QueryRow(ctx, `SELECT `+visitColumns+` WHERE v.id = $1`, id))
	return v, translate(err, fmt.Sprintf("visit %d", id))
}

// FindVisits lists a visitor's visits over [From, To), by time.
func (s *VisitStore) FindVisits(ctx context.Context, f visits.VisitFilter) ([]*visits.Visit, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+visitColumns+`
WHERE v.visitor_id = $1 AND v.visited_on >= $2 AND v.visited_on < $3 ORDER BY v.visited_at, v.id`,
		f.VisitorID, f.From.String(), f.To.String())
	if err != nil {
		return nil, translate(err, "visits")
	}
	defer rows.Close()
	out := []*visits.Visit{}
	for rows.Next() {
		v, err := s.scanVisit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, translate(rows.Err(), "visits")
}

// PhotoGrids returns the grids of the visits holding upload id (index visits_photos).
func (s *VisitStore) PhotoGrids(ctx context.Context, id int64) ([]string, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT DISTINCT grid_code FROM visits WHERE photo_ids @> ARRAY[$1::bigint]`, id)
	if err != nil {
		return nil, translate(err, "visit photo")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, translate(rows.Err(), "visit photo")
}

// Schedules returns every schedule, by kind then category.
func (s *VisitStore) Schedules(ctx context.Context) ([]visits.Schedule, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT target_kind, category, every, unit FROM visit_schedules ORDER BY target_kind, category`)
	if err != nil {
		return nil, translate(err, "visit schedules")
	}
	defer rows.Close()
	out := []visits.Schedule{}
	for rows.Next() {
		var sc visits.Schedule
		if err := rows.Scan(&sc.TargetKind, &sc.Category, &sc.Every, &sc.Unit); err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, translate(rows.Err(), "visit schedules")
}

// ReplaceSchedules replaces every schedule in one transaction.
func (s *VisitStore) ReplaceSchedules(ctx context.Context, ss []visits.Schedule) error {
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM visit_schedules`); err != nil {
			return err
		}
		for _, sc := range ss {
			if _, err := tx.Exec(ctx, `INSERT INTO visit_schedules (target_kind, category, every, unit) VALUES ($1, $2, $3, $4)`,
				sc.TargetKind, sc.Category, sc.Every, sc.Unit); err != nil {
				return err
			}
		}
		return nil
	})
	return translate(err, "visit schedules")
}

// Scheduled lists the households, businesses and places someone answers
// for on f.On and the key persons with their responsible user, each with
// its latest on-site visit (a key person's also from its visit log).
func (s *VisitStore) Scheduled(ctx context.Context, f visits.DueFilter) ([]*visits.Scheduled, error) {
	args := []any{f.On.String()}
	rWhere := []string{"r.valid_from <= $1", "(r.valid_to IS NULL OR r.valid_to > $1)"}
	kWhere := []string{"true"}
	if f.UserID != nil {
		args = append(args, *f.UserID)
		rWhere = append(rWhere, fmt.Sprintf("r.user_id = $%d", len(args)))
		kWhere = []string{fmt.Sprintf("k.responsible_user_id = $%d", len(args))}
	}
	if f.GridCodes != nil {
		args = append(args, f.GridCodes)
		rWhere = append(rWhere, fmt.Sprintf("r.grid_code = ANY($%d)", len(args)))
		kWhere = append(kWhere, fmt.Sprintf("k.grid_code = ANY($%d)", len(args)))
	}
	q := `
SELECT r.target_kind, r.target_id, t.name, t.address, '', r.grid_code, ST_X(t.point), ST_Y(t.point),
       r.user_id, u.name, r.valid_from, NULL::bytea, NULL::bytea, NULL::bytea,
       (SELECT max(v.visited_on) FROM visits v WHERE v.target_kind = r.target_kind AND v.target_id = r.target_id AND v.on_site)
FROM responsibilities r JOIN register_records t ON t.id = r.target_id JOIN users u ON u.id = r.user_id
WHERE ` + strings.Join(rWhere, " AND ") + `
UNION ALL
SELECT 'key_person', k.id, '', '', '', coalesce(k.grid_code, ''), ST_X(k.point), ST_Y(k.point),
       k.responsible_user_id, u.name, (k.created_at AT TIME ZONE 'Asia/Shanghai')::date, k.name_enc, k.address_enc, k.category_enc,
       greatest((SELECT max(v.visited_on) FROM visits v WHERE v.target_kind = 'key_person' AND v.target_id = k.id AND v.on_site),
                (SELECT max(kv.visited_on) FROM key_person_visits kv WHERE kv.key_person_id = k.id))
FROM key_persons k JOIN users u ON u.id = k.responsible_user_id
WHERE ` + strings.Join(kWhere, " AND ")
	rows, err := s.db.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, translate(err, "scheduled visits")
	}
	defer rows.Close()
	var out []*visits.Scheduled
	for rows.Next() {
		var sc visits.Scheduled
		var lon, lat *float64
		var since time.Time
		var last *time.Time
		var kname, kaddr, kcat []byte
		if err := rows.Scan(&sc.Kind, &sc.ID, &sc.Name, &sc.Address, &sc.Category, &sc.GridCode, &lon, &lat,
			&sc.ResponsibleID, &sc.ResponsibleName, &since, &kname, &kaddr, &kcat, &last); err != nil {
			return nil, err
		}
		if sc.Kind == "key_person" {
			var err error
			if sc.Name, sc.Address, sc.Category, err = s.KeyPersons.OpenIdentity(sc.ID, kname, kaddr, kcat); err != nil {
				return nil, err
			}
		}
		sc.Point = pointOf(lon, lat)
		sc.Since = dateOf(since)
		if last != nil {
			d := dateOf(*last)
			sc.LastVisit = &d
		}
		out = append(out, &sc)
	}
	return out, translate(rows.Err(), "scheduled visits")
}

// MonthCoverage computes, per user, the households, businesses and places
// it answered for during [from, to) and whether it visited each on site
// while it answered for it.
func (s *VisitStore) MonthCoverage(ctx context.Context, from, to workday.Date) ([]visits.Coverage, error) {
	rows, err := s.db.Pool.Query(ctx, `
SELECT r.user_id, r.target_kind, r.target_id, t.name, t.address, r.grid_code,
       EXISTS (SELECT 1 FROM visits v WHERE v.visitor_id = r.user_id AND v.target_kind = r.target_kind AND v.target_id = r.target_id
               AND v.on_site AND v.visited_on >= greatest(r.valid_from, $1::date) AND v.visited_on < least(coalesce(r.valid_to, $2::date), $2::date))
FROM responsibilities r JOIN register_records t ON t.id = r.target_id
WHERE r.valid_from < $2 AND (r.valid_to IS NULL OR r.valid_to > $1)
ORDER BY r.user_id, r.target_id`, from.String(), to.String())
	if err != nil {
		return nil, translate(err, "visit coverage")
	}
	defer rows.Close()
	type key struct{ user, target int64 }
	visited := map[key]bool{}
	targets := map[key]visits.Target{}
	var order []key
	for rows.Next() {
		var user int64
		var t visits.Target
		var ok bool
		if err := rows.Scan(&user, &t.Kind, &t.ID, &t.Name, &t.Address, &t.GridCode, &ok); err != nil {
			return nil, err
		}
		k := key{user, t.ID}
		if _, seen := targets[k]; !seen {
			order = append(order, k)
			targets[k] = t
		}
		visited[k] = visited[k] || ok
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "visit coverage")
	}
	var out []visits.Coverage
	for _, k := range order {
		if len(out) == 0 || out[len(out)-1].WorkerID != k.user {
			out = append(out, visits.Coverage{WorkerID: k.user, Unvisited: []visits.Target{}})
		}
		c := &out[len(out)-1]
		c.Assigned++
		if visited[k] {
			c.Visited++
		} else {
			c.Unvisited = append(c.Unvisited, targets[k])
		}
	}
	return out, nil
}
