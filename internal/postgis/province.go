package postgis

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/analytics"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/province"
	provmigrations "github.com/gridd/gridd/migrations/province"
	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// Province aggregation by logical replication (issue 20). A city database
// publishes province.Published (PublishProvince); a province database,
// migrated with migrations/province (MigrateProvince), subscribes to each
// city (SubscribeCity) and is read by ProvinceStore. The statements here
// are DDL, which takes no bound parameters: every value put into one is a
// checked county code (six digits), a fixed identifier from
// province.Published, or the city's connection string as a quoted literal.

// CheckLogical fails unless the server runs with wal_level = logical,
// which publishing and subscribing need.
func (db *DB) CheckLogical(ctx context.Context) error {
	var level string
	if err := db.Pool.QueryRow(ctx, `SHOW wal_level`).Scan(&level); err != nil {
		return err
	}
	if level != "logical" {
		return fmt.Errorf("wal_level is %q: set wal_level = logical in postgresql.conf and restart PostgreSQL (gridd db start --logical does for a private cluster)", level)
	}
	return nil
}

// PublishProvince makes a city database publish its grids, cases and
// monthly figures under county code (province.Published): the county code
// becomes the default of the published tables' county_code and is set on
// their existing rows, and the publication gridd_province is (re)created
// with the column lists and a row filter on the code. A database already
// published under another code is refused (the province keys its rows by
// it). Idempotent.
func (db *DB) PublishProvince(ctx context.Context, code string) error {
	if err := province.CheckCountyCode("county_code", code); err != nil {
		return err
	}
	if err := db.CheckLogical(ctx); err != nil {
		return err
	}
	return db.tx(ctx, func(tx pgx.Tx) error {
		// One publisher at a time; the advisory lock keeps two concurrent
		// runs from interleaving their DDL.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('gridd_province_publish'))`); err != nil {
			return err
		}
		var other string
		err := tx.QueryRow(ctx, `
SELECT county_code FROM grid_versions WHERE county_code NOT IN ('', $1)
UNION ALL SELECT county_code FROM cases WHERE county_code NOT IN ('', $1)
LIMIT 1`, code).Scan(&other)
		if err == nil {
			return errs.Conflictf("county_code_taken", "this database is already published as county %s; the province keys its rows by that code", other)
		}
		if err != pgx.ErrNoRows {
			return err
		}
		var parts []string
		for _, t := range province.Published {
			id := pgx.Identifier{t.Name}.Sanitize()
			if _, err := tx.Exec(ctx, `ALTER TABLE `+id+` ALTER COLUMN county_code SET DEFAULT '`+code+`'`); err != nil {
				return fmt.Errorf("publish %s: %w", t.Name, err)
			}
			if _, err := tx.Exec(ctx, `UPDATE `+id+` SET county_code = $1 WHERE county_code = ''`, code); err != nil {
				return fmt.Errorf("publish %s: %w", t.Name, err)
			}
			cols := make([]string, len(t.Columns))
			for i, c := range t.Columns {
				cols[i] = pgx.Identifier{c}.Sanitize()
			}
			parts = append(parts, id+` (`+strings.Join(cols, ", ")+`) WHERE (county_code = '`+code+`')`)
		}
		if _, err := tx.Exec(ctx, `DROP PUBLICATION IF EXISTS `+province.PublicationName); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `CREATE PUBLICATION `+province.PublicationName+` FOR TABLE `+strings.Join(parts, ", "))
		return err
	})
}

// PublishedCountyCode returns the county code a city database publishes
// under ("" when it does not publish).
func PublishedCountyCode(ctx context.Context, conn *pgx.Conn) (string, error) {
	var filter *string
	err := conn.QueryRow(ctx, `SELECT rowfilter FROM pg_publication_tables WHERE pubname = $1 AND tablename = 'cases'`,
		province.PublicationName).Scan(&filter)
	if err == pgx.ErrNoRows || filter == nil {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	// The filter reads back as (county_code = '370114'::text).
	i := strings.IndexByte(*filter, '\'')
	if i < 0 || len(*filter) < i+8 {
		return "", fmt.Errorf("unexpected row filter %q of publication %s", *filter, province.PublicationName)
	}
	return (*filter)[i+1 : i+7], nil
}

// MigrateProvince applies the province database's migrations
// (migrations/province). Idempotent.
func (db *DB) MigrateProvince(ctx context.Context) error {
	if err := db.gooseUp(ctx, provmigrations.FS); err != nil {
		return fmt.Errorf("migrate province: %w", err)
	}
	db.Pool.Reset() // connections opened before postgis existed lack the geometry codec
	return nil
}

// CheckProvinceSchema fails unless the province database is migrated
// (gridd province subscribe migrates it).
func (db *DB) CheckProvinceSchema(ctx context.Context) error {
	return db.checkSchema(ctx, provmigrations.FS, "gridd province subscribe")
}

// SubscribeCity subscribes the province database to the city publishing
// under code at conninfo (a libpq connection string or URL the province's
// PostgreSQL server uses to reach the city: its host as seen from the
// province server). The city is checked first: it must publish, under
// the same code. The initial copy then runs in the background; an existing
// subscription only gets the new connection string. CREATE SUBSCRIPTION
// cannot run in a transaction, so this is not one.
func (db *DB) SubscribeCity(ctx context.Context, code, conninfo string) error {
	if err := province.CheckCountyCode("city_code", code); err != nil {
		return err
	}
	if err := db.CheckLogical(ctx); err != nil {
		return err
	}
	city, err := pgx.Connect(ctx, conninfo)
	if err != nil {
		return fmt.Errorf("connect to the city: %w", err)
	}
	published, err := PublishedCountyCode(ctx, city)
	city.Close(ctx)
	if err != nil {
		return fmt.Errorf("read the city's publication: %w", err)
	}
	switch published {
	case "":
		return errs.Conflictf("city_not_published", "the city database publishes nothing: run 'gridd province publish --county-code %s' there first", code)
	case code:
	default:
		return errs.Conflictf("county_code_mismatch", "the city database publishes county %s, not %s", published, code)
	}
	name := province.SubscriptionName(code)
	lit := `'` + strings.ReplaceAll(conninfo, `'`, `''`) + `'`
	var exists bool
	if err := db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_subscription WHERE subname = $1)`, name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		_, err = db.Pool.Exec(ctx, `ALTER SUBSCRIPTION `+name+` CONNECTION `+lit)
	} else {
		_, err = db.Pool.Exec(ctx, `CREATE SUBSCRIPTION `+name+` CONNECTION `+lit+` PUBLICATION `+province.PublicationName)
	}
	if err != nil {
		return fmt.Errorf("subscribe to county %s: %w", code, err)
	}
	return nil
}

// ProvinceStore reads a province database (province.Store, and the
// analytics.Store of the province's hot spots: the cells come from the
// cities, or are computed here for cases whose city has not yet).
type ProvinceStore struct{ db *DB }

var (
	_ province.Store  = (*ProvinceStore)(nil)
	_ analytics.Store = (*ProvinceStore)(nil)
)

// NewProvinceStore returns the store of the province database db.
func NewProvinceStore(db *DB) *ProvinceStore { return &ProvinceStore{db: db} }

// Cities lists the subscriptions gridd made (gridd_city_<code>) with their
// apply worker's state, the rows held per county and the extent of its
// current grids (one pass over them, on the partial index of current
// grids).
func (s *ProvinceStore) Cities(ctx context.Context) ([]*province.City, error) {
	rows, err := s.db.Pool.Query(ctx, `
SELECT sub.code, sub.subname, sub.subenabled, st.pid IS NOT NULL, st.last_msg_receipt_time,
       extract(epoch FROM now() - st.last_msg_receipt_time)::float8,
       g.n, (SELECT count(*) FROM cases c WHERE c.county_code = sub.code),
       ST_XMin(g.ext), ST_YMin(g.ext), ST_XMax(g.ext), ST_YMax(g.ext)
FROM (SELECT oid, subname, subenabled, substr(subname, length('gridd_city_') + 1) AS code
      FROM pg_subscription
      WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND subname LIKE 'gridd\_city\_%') sub
LEFT JOIN pg_stat_subscription st ON st.subid = sub.oid AND st.relid IS NULL
CROSS JOIN LATERAL (SELECT count(*) AS n, ST_Extent(geom) AS ext FROM grid_versions
                    WHERE county_code = sub.code AND valid_to IS NULL) g
ORDER BY 1`)
	if err != nil {
		return nil, translate(err, "cities")
	}
	defer rows.Close()
	out := []*province.City{}
	for rows.Next() {
		c := &province.City{}
		var w, south, e, n *float64
		if err := rows.Scan(&c.CountyCode, &c.Subscription, &c.Enabled, &c.Connected, &c.LastMessage, &c.LagSeconds, &c.Grids, &c.Cases,
			&w, &south, &e, &n); err != nil {
			return nil, err
		}
		if w != nil && south != nil && e != nil && n != nil {
			c.Bounds = []float64{*w, *south, *e, *n}
		}
		out = append(out, c)
	}
	return out, translate(rows.Err(), "cities")
}

// CountyFigures reads every county's current leaf grids (grids with no
// current child: the 网格 themselves) and the figures of the cases
// reported in [from, to), by month in Asia/Shanghai, closed as of asOf,
// with the stored assessment of each month.
func (s *ProvinceStore) CountyFigures(ctx context.Context, from, to, asOf time.Time) ([]*province.CountyFigures, error) {
	byCode := map[string]*province.CountyFigures{}
	var out []*province.CountyFigures
	county := func(code string) *province.CountyFigures {
		c := byCode[code]
		if c == nil {
			c = &province.CountyFigures{CountyCode: code, Months: []*province.MonthFigures{}}
			byCode[code] = c
			out = append(out, c)
		}
		return c
	}
	rows, err := s.db.Pool.Query(ctx, `
SELECT g.county_code, count(*), coalesce(sum(g.area_m2), 0) / 1e6, coalesce(sum(g.households), 0), coalesce(sum(g.population), 0)
FROM grid_versions g
WHERE g.valid_to IS NULL
  AND NOT EXISTS (SELECT 1 FROM grid_versions c
                  WHERE c.county_code = g.county_code AND c.parent_code = g.code AND c.valid_to IS NULL)
GROUP BY 1 ORDER BY 1`)
	if err != nil {
		return nil, translate(err, "province grids")
	}
	for rows.Next() {
		var code string
		var g province.CountyFigures
		if err := rows.Scan(&code, &g.Grids, &g.AreaKm2, &g.Households, &g.Population); err != nil {
			rows.Close()
			return nil, err
		}
		c := county(code)
		c.Grids, c.AreaKm2, c.Households, c.Population = g.Grids, g.AreaKm2, g.Households, g.Population
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err, "province grids")
	}
	months := map[[2]string]*province.MonthFigures{}
	month := func(code, m string) *province.MonthFigures {
		k := [2]string{code, m}
		f := months[k]
		if f == nil {
			f = &province.MonthFigures{Month: m}
			months[k] = f
			c := county(code)
			c.Months = append(c.Months, f)
		}
		return f
	}
	rows, err = s.db.Pool.Query(ctx, `
SELECT county_code, to_char(reported_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'), count(*),
       count(*) FILTER (WHERE status <> 'merged'),
       count(*) FILTER (WHERE accepted_at <= $3 AND closed_at <= $3),
       count(*) FILTER (WHERE accepted_at <= $3 AND closed_at <= $3 AND (resolved_on_site OR coalesce(handled_on_time, false))),
       count(*) FILTER (WHERE status NOT IN ('closed', 'rejected', 'merged')),
       count(*) FILTER (WHERE emergency)
FROM cases
WHERE reported_at >= $1 AND reported_at < $2
GROUP BY 1, 2`, from, to, asOf)
	if err != nil {
		return nil, translate(err, "province cases")
	}
	for rows.Next() {
		var code, m string
		var f province.MonthFigures
		if err := rows.Scan(&code, &m, &f.Reported, &f.Problems, &f.Closed, &f.ClosedOnTime, &f.Open, &f.Emergency); err != nil {
			rows.Close()
			return nil, err
		}
		t := month(code, m)
		a := t.Assessment
		*t = f
		t.Month, t.Assessment = m, a
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err, "province cases")
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	rows, err = s.db.Pool.Query(ctx, `
SELECT county_code, month, workers, qualified, vetoed, total_sum, total_min, total_max
FROM assessment_months WHERE month BETWEEN $1 AND $2`,
		from.In(sh).Format("2006-01"), to.Add(-time.Nanosecond).In(sh).Format("2006-01"))
	if err != nil {
		return nil, translate(err, "province assessments")
	}
	for rows.Next() {
		var code, m string
		a := &province.AssessmentFigures{}
		if err := rows.Scan(&code, &m, &a.Workers, &a.Qualified, &a.Vetoed, &a.TotalSum, &a.MinTotal, &a.MaxTotal); err != nil {
			rows.Close()
			return nil, err
		}
		month(code, m).Assessment = a
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err, "province assessments")
	}
	for _, c := range out {
		c.Finish()
	}
	if out == nil {
		out = []*province.CountyFigures{}
	}
	return out, nil
}

// GridTile renders the current grids of every county in tile z/x/y, in
// the shape of the city's grid tiles (tile.go): the bounding-box filter on
// the tile envelope with its buffer, simplified by one tile unit, clipped
// by ST_AsMVTGeom. Features carry county_code, code, name and level.
func (s *ProvinceStore) GridTile(ctx context.Context, z, x, y int) ([]byte, error) {
	var b []byte
	err := s.db.Pool.QueryRow(ctx, `
SELECT coalesce(ST_AsMVT(f, 'grids', 4096, 'geom'), '') FROM (
	SELECT ST_AsMVTGeom(ST_Simplify(ST_Transform(g.geom, 3857), 40075016.68557849 / (4096 * 2 ^ $1::int), true),
	                    ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom,
	       g.county_code, g.code, g.name, g.level
	FROM grid_versions g
	WHERE g.valid_to IS NULL
	  AND g.geom && ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 0.015625), 4326)
) f`, z, x, y).Scan(&b)
	return b, translate(err, "province tile")
}

// CasesWithoutCell returns nothing: the province writes no cell (its
// tables belong to the subscriptions); CountCases computes missing ones.
func (s *ProvinceStore) CasesWithoutCell(context.Context, int64, int) ([]analytics.CasePoint, error) {
	return nil, nil
}

// MaxCaseID is 0: the province keeps no backfill position.
func (s *ProvinceStore) MaxCaseID(context.Context) (int64, error) { return 0, nil }

// SaveCaseCells refuses: the province database is read-only to gridd.
func (s *ProvinceStore) SaveCaseCells(context.Context, []int64, []h3.Cell) error {
	return errs.Forbiddenf("the province database is read-only")
}

// CountCases counts the province's cases of q by cell and month (and
// category). A case's cell is the one its city stored, or computed here
// from its location when the city has not yet (the city fills cells
// lazily). Grid scopes are a city's own and not supported.
func (s *ProvinceStore) CountCases(ctx context.Context, q analytics.CountQuery) ([]analytics.CellCount, error) {
	if q.Parent != nil || q.ScopeGrids != nil || q.ScopeUnit != nil {
		return nil, errs.Invalidf("parent", "parent_not_supported", "province hot spots cover every city")
	}
	res := q.Resolution
	if res == 0 || res > analytics.StoredResolution {
		res = analytics.StoredResolution
	}
	args := []any{q.From, q.To}
	where := "reported_at >= $1 AND reported_at < $2 AND status NOT IN ('merged', 'rejected')"
	if q.Category != nil {
		args = append(args, *q.Category)
		if len(*q.Category) == 2 {
			where += " AND left(category_code, 2) = $3"
		} else {
			where += " AND category_code = $3"
		}
	}
	category := "''"
	if q.ByCategory {
		category = "category_code"
	}
	rows, err := s.db.Pool.Query(ctx, `
SELECT h3_cell, ST_X(geom), ST_Y(geom), to_char(reported_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'), `+category+`
FROM cases WHERE `+where, args...)
	if err != nil {
		return nil, translate(err, "province case counts")
	}
	defer rows.Close()
	type key struct {
		cell     h3.Cell
		month    string
		category string
	}
	counts := map[key]int{}
	var order []key
	for rows.Next() {
		var stored *int64
		var lon, lat float64
		var k key
		if err := rows.Scan(&stored, &lon, &lat, &k.month, &k.category); err != nil {
			return nil, err
		}
		cell := h3.LatLngToCell(h3.NewLatLng(lat, lon), analytics.StoredResolution)
		if stored != nil {
			cell = h3.Cell(*stored)
		}
		if res < analytics.StoredResolution {
			cell = cell.Parent(res)
		}
		k.cell = cell
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "province case counts")
	}
	out := make([]analytics.CellCount, len(order))
	for i, k := range order {
		out[i] = analytics.CellCount{Cell: k.cell, Month: k.month, Category: k.category, N: counts[k]}
	}
	return out, nil
}

// StudyArea is the top-level current grids of every county (roots are a
// city's own codes and not supported).
func (s *ProvinceStore) StudyArea(ctx context.Context, roots []string) (orb.MultiPolygon, error) {
	if roots != nil {
		return nil, errs.Invalidf("parent", "parent_not_supported", "province hot spots cover every city")
	}
	return queryPolygons(ctx, s.db, "province study area", `
SELECT g.geom FROM grid_versions g
WHERE g.valid_to IS NULL
  AND g.level = (SELECT min(level) FROM grid_versions t WHERE t.county_code = g.county_code AND t.valid_to IS NULL)`)
}
