package postgis

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/tiles"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// The grids snapshot (tiles.Snapshot of the grids layer) is read as three
// plain scans sent in one round trip: the current grids, the day's worker
// assignments and the register counts, joined in Go. A single query
// joining and sorting them made PostgreSQL aggregate the names per grid
// and sort every row with its geometry (a sort larger than work_mem goes
// to disk): 195 ms at 21k grids against ~35 ms for the scans.
const (
	gridShapeCols  = `code, name, level, coalesce(parent_code, ''), households, population, version`
	gridRowsSQL    = `SELECT ` + gridShapeCols + ` FROM grid_versions WHERE valid_to IS NULL`
	gridGeomsSQL   = `SELECT ` + gridShapeCols + `, ST_AsBinary(geom) FROM grid_versions WHERE valid_to IS NULL`
	gridWorkersSQL = `SELECT a.grid_code, u.name, u.username
FROM grid_assignments a JOIN users u ON u.id = a.user_id
WHERE a.grid_role = 'worker' AND a.valid_from <= $1::date AND (a.valid_to IS NULL OR a.valid_to > $1::date)`
	gridCountsSQL = `SELECT grid_code, households, people, businesses, places FROM grid_register_counts`
	// gridGeomsOfSQL reads the current geometry of the grids given.
	gridGeomsOfSQL = `SELECT code, ST_AsBinary(geom) FROM grid_versions WHERE valid_to IS NULL AND code = ANY($1)`

	// gridChangedOnly restricts each of the three to the grids changed
	// since the mark given as the parameter (the snapshot's patch).
	gridChangedOnly = ` IN (SELECT grid_code FROM grid_changes WHERE xid >= $%d::xid8)`
)

// gridRow is one grid of the snapshot with the grids layer's attributes.
type gridRow struct {
	code, name, parentCode string
	level, version         int
	households, population int64 // NOT NULL in grid_versions
	geom                   orb.Geometry
	attrs                  tiles.Attrs
}

// gridRead queues the snapshot's three scans on a batch and joins their
// rows as they arrive: the day's workers and the register counts first,
// then the grids, each decoded as it is received (WKB read in place),
// whose attributes a second goroutine builds while the next rows arrive
// (and looks up their geometry in known, when set).
type gridRead struct {
	rows    []gridRow
	workers map[string][]gridWorker
	counts  map[string][4]int64
	known   func(code string, version int) (orb.MultiPolygon, bool)
}

type gridWorker struct{ name, username string }

// gridChunk is how many rows are handed to the decoding goroutine at once.
const gridChunk = 256

// queue adds the scans to b: with geometry when withGeom, only the grids
// changed since the mark xmin when it is not "". hint is the number of
// grids expected (the last read's), to size the rows and maps once.
func (g *gridRead) queue(b *pgx.Batch, day time.Time, withGeom bool, xmin string, hint int) {
	rowsSQL, workersSQL, countsSQL := gridRowsSQL, gridWorkersSQL, gridCountsSQL
	args := []any{day}
	if withGeom {
		rowsSQL = gridGeomsSQL
	}
	if xmin != "" {
		rowsSQL += fmt.Sprintf(` AND code`+gridChangedOnly, 1)
		workersSQL += fmt.Sprintf(` AND a.grid_code`+gridChangedOnly, 2)
		countsSQL += fmt.Sprintf(` WHERE grid_code`+gridChangedOnly, 1)
		args = append(args, xmin)
	}
	g.workers = make(map[string][]gridWorker, hint)
	b.Queue(workersSQL, args...).Query(func(rows pgx.Rows) error {
		var code string
		var w gridWorker
		_, err := pgx.ForEachRow(rows, []any{&code, &w.name, &w.username}, func() error {
			g.workers[code] = append(g.workers[code], w)
			return nil
		})
		return err
	})
	g.counts = map[string][4]int64{}
	b.Queue(countsSQL, args[1:]...).Query(func(rows pgx.Rows) error {
		var code string
		var c [4]int64
		_, err := pgx.ForEachRow(rows, []any{&code, &c[0], &c[1], &c[2], &c[3]}, func() error {
			g.counts[code] = c
			return nil
		})
		return err
	})
	g.rows = make([]gridRow, 0, hint)
	b.Queue(rowsSQL, args[1:]...).Query(func(rows pgx.Rows) error {
		chunks := make(chan []gridRow, 4)
		done := make(chan struct{})
		go func() {
			for c := range chunks {
				for i := range c {
					g.finish(&c[i])
				}
				g.rows = append(g.rows, c...)
			}
			close(done)
		}()
		var r gridRow
		var raw pgtype.DriverBytes // WKB, decoded before the next row is read
		dest := []any{&r.code, &r.name, &r.level, &r.parentCode, &r.households, &r.population, &r.version}
		if withGeom {
			dest = append(dest, &raw)
		}
		chunk := make([]gridRow, 0, gridChunk)
		_, err := pgx.ForEachRow(rows, dest, func() error {
			if withGeom {
				var err error
				if r.geom, err = wkb.Unmarshal(raw); err != nil {
					return fmt.Errorf("grid %s: %w", r.code, err)
				}
			}
			if chunk = append(chunk, r); len(chunk) == gridChunk {
				chunks <- chunk
				chunk = make([]gridRow, 0, gridChunk)
			}
			return nil
		})
		chunks <- chunk
		close(chunks)
		<-done
		return err
	})
}

// finish builds r's attributes (those of the grids tile query) with its
// workers, joined by "," in username order, and its register counts, and
// gives it the geometry known has for its version.
func (g *gridRead) finish(r *gridRow) {
	if g.known != nil {
		if mp, ok := g.known(r.code, r.version); ok {
			r.geom = mp
		}
	}
	var worker, username string
	switch ws := g.workers[r.code]; len(ws) {
	case 0:
	case 1: // most grids: no joining
		worker, username = ws[0].name, ws[0].username
	default:
		slices.SortFunc(ws, func(a, b gridWorker) int { return cmp.Compare(a.username, b.username) })
		names, users := make([]string, len(ws)), make([]string, len(ws))
		for k, w := range ws {
			names[k], users[k] = w.name, w.username
		}
		worker, username = strings.Join(names, ","), strings.Join(users, ",")
	}
	c := g.counts[r.code]
	r.attrs = tiles.Attrs{tiles.StringAttr("code", r.code), tiles.StringAttr("name", r.name), tiles.IntAttr("level", int64(r.level)),
		tiles.StringAttr("parent_code", r.parentCode), tiles.StringAttr("worker", worker), tiles.StringAttr("worker_username", username),
		tiles.IntAttr("registered_households", c[0]), tiles.IntAttr("registered_people", c[1]), tiles.IntAttr("businesses", c[2]),
		tiles.IntAttr("places", c[3]), tiles.IntAttr("households", r.households), tiles.IntAttr("population", r.population)}
}

// sorted returns the rows by level and code.
func (g *gridRead) sorted() []gridRow {
	slices.SortFunc(g.rows, func(a, b gridRow) int {
		return cmp.Or(cmp.Compare(a.level, b.level), cmp.Compare(a.code, b.code))
	})
	return g.rows
}

// readGrids reads every current grid with its attributes as of day (and
// its geometry when withGeom) in one round trip, from one database
// snapshot (a read-only repeatable-read transaction, on the replica when
// the request reads from one). With s.Geometries set, the geometry of a
// grid comes from there when it holds the grid's version, and only the
// others' is read, by a second query in the same transaction.
func (s *TileStore) readGrids(ctx context.Context, day time.Time, withGeom bool) ([]gridRow, error) {
	var g gridRead
	shared := withGeom && s.Geometries != nil
	if shared {
		g.known = s.Geometries
	}
	err := pgx.BeginTxFunc(ctx, s.db.reader(ctx), pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		g.queue(b, day, withGeom && !shared, "", int(s.grids.Load()))
		if err := tx.SendBatch(ctx, b).Close(); err != nil || !shared {
			return err
		}
		return g.readMissing(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	s.grids.Store(int64(len(g.rows)))
	return g.sorted(), nil
}

// readMissing reads in tx the geometry of the rows known did not have
// (grids changed since known's copy was taken).
func (g *gridRead) readMissing(ctx context.Context, tx pgx.Tx) error {
	var missing []string
	at := map[string]int{}
	for i := range g.rows {
		if g.rows[i].geom == nil {
			missing = append(missing, g.rows[i].code)
			at[g.rows[i].code] = i
		}
	}
	if len(missing) == 0 {
		return nil
	}
	rows, _ := tx.Query(ctx, gridGeomsOfSQL, missing) // its error comes back from ForEachRow
	var code string
	var raw pgtype.DriverBytes
	_, err := pgx.ForEachRow(rows, []any{&code, &raw}, func() error {
		geom, err := wkb.Unmarshal(raw)
		if err != nil {
			return fmt.Errorf("grid %s: %w", code, err)
		}
		g.rows[at[code]].geom = geom
		return nil
	})
	return err
}

// GridSnapshot reads every current grid with the grids layer's attributes
// as of day (today's workers, register counts) and the codes of its
// ancestors, for the in-memory renderer of the grids tiles
// (tiles.Snapshot).
func (s *TileStore) GridSnapshot(ctx context.Context, day time.Time) ([]tiles.SnapshotFeature, error) {
	rows, err := s.readGrids(ctx, day, true)
	if err != nil {
		return nil, translate(err, "grid snapshot")
	}
	out := make([]tiles.SnapshotFeature, len(rows))
	pos := make(map[string]int, len(rows))
	for i := range rows {
		pos[rows[i].code] = i
		out[i] = tiles.SnapshotFeature{Geometry: rows[i].geom, Attrs: rows[i].attrs}
	}
	// Each grid's codes are its own followed by its parent's codes, which
	// (rows sorted by level) are usually known by then; all of them are
	// cut from one block.
	block := make([]string, 0, 4*len(rows))
	var chain func(i, depth int) []string
	chain = func(i, depth int) []string {
		if out[i].Codes != nil {
			return out[i].Codes
		}
		r := &rows[i]
		var up []string
		if j, ok := pos[r.parentCode]; ok && depth < 64 {
			up = chain(j, depth+1)
		} else if r.parentCode != "" {
			up = []string{r.parentCode} // a parent not in the snapshot ends the chain
		}
		n := 1 + len(up)
		if cap(block)-len(block) < n {
			block = make([]string, 0, max(n, 4*len(rows)))
		}
		start := len(block)
		block = append(append(block, r.code), up...)
		out[i].Codes = block[start : start+n : start+n]
		return out[i].Codes
	}
	for i := range out {
		chain(i, 0)
	}
	return out, nil
}

// GridAttributes reads the grids layer's attributes of every current grid
// as of day, by code, without the geometry (tiles.Snapshot's refresh after
// a change of assignments or register counts, or a new day).
func (s *TileStore) GridAttributes(ctx context.Context, day time.Time) (map[string]tiles.Attrs, error) {
	rows, err := s.readGrids(ctx, day, false)
	if err != nil {
		return nil, translate(err, "grid attributes")
	}
	out := make(map[string]tiles.Attrs, len(rows))
	for i := range rows {
		out[rows[i].code] = rows[i].attrs
	}
	return out, nil
}

// GridPatcher returns the grids snapshot's patcher (tiles.SnapshotPatcher)
// on grid_changes: marks are the xmin of a database snapshot and the
// time it was taken.
func (s *TileStore) GridPatcher() tiles.SnapshotPatcher { return gridPatcher{s} }

type gridPatcher struct{ s *TileStore }

// gridMarkTTL is how old a mark may be to patch from; grid_changes rows
// older than gridChangesKeep are pruned.
const (
	gridMarkTTL     = 12 * time.Hour
	gridChangesKeep = 24 * time.Hour
)

const gridMarkSQL = `SELECT pg_snapshot_xmin(pg_current_snapshot())::text`

func (p gridPatcher) Mark(ctx context.Context) (string, error) {
	var xmin string
	if err := p.s.db.Pool.QueryRow(ctx, gridMarkSQL).Scan(&xmin); err != nil {
		return "", translate(err, "grid snapshot mark")
	}
	return fmt.Sprintf("%s@%d", xmin, p.s.db.Now().Unix()), nil
}

// Changes reads the grids changed since mark: in one round trip, the new
// mark with the changed codes, then those grids' rows. Every change not
// visible when mark was taken was made by a transaction with xid >= its
// xmin; the new mark is taken before the rows are read, so what they miss
// is in the next patch. Now and then it prunes old grid_changes rows.
func (p gridPatcher) Changes(ctx context.Context, day time.Time, mark string) (*tiles.SnapshotPatch, error) {
	xmin, at, ok := strings.Cut(mark, "@")
	sec, err := strconv.ParseInt(at, 10, 64)
	now := p.s.db.Now()
	if !ok || err != nil || now.Sub(time.Unix(sec, 0)) > gridMarkTTL {
		return &tiles.SnapshotPatch{Reload: true}, nil
	}
	out := &tiles.SnapshotPatch{}
	var codes []string
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_snapshot_xmin(pg_current_snapshot())::text, array(SELECT DISTINCT grid_code FROM grid_changes WHERE xid >= $1::xid8)`, xmin).
		QueryRow(func(row pgx.Row) error {
			var x string
			if err := row.Scan(&x, &codes); err != nil {
				return err
			}
			out.Mark = fmt.Sprintf("%s@%d", x, now.Unix())
			return nil
		})
	var g gridRead
	g.queue(b, day, true, xmin, 0)
	if p.s.pruneDue(now) {
		b.Queue(`DELETE FROM grid_changes WHERE at < $1`, now.Add(-gridChangesKeep))
	}
	if err := p.s.db.Pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, translate(err, "grid snapshot changes")
	}
	seen := map[string]bool{}
	for _, r := range g.sorted() {
		f := tiles.SnapshotFeature{Geometry: r.geom, Attrs: r.attrs, Codes: []string{r.code}}
		if r.parentCode != "" {
			f.Codes = append(f.Codes, r.parentCode)
		}
		seen[r.code] = true
		out.Changed = append(out.Changed, f)
	}
	for _, c := range codes {
		if !seen[c] {
			out.Gone = append(out.Gone, c)
		}
	}
	return out, nil
}

// pruneDue reports whether grid_changes was last pruned an hour ago or more
// (by this instance), and notes now as the last time.
func (s *TileStore) pruneDue(now time.Time) bool {
	last := s.pruned.Load()
	if now.Unix()-last < 3600 {
		return false
	}
	return s.pruned.CompareAndSwap(last, now.Unix())
}
