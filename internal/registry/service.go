package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/spatial/crs"
	"github.com/paulmach/orb"
)

// Service validates and applies grid imports and edits.
type Service struct {
	Store  Store
	Now    func() time.Time
	Limits Limits
	// OnChange is called after a committed change of the grids.
	OnChange func(ctx context.Context)
	// Cards are what grid cards read besides the grids (card.go).
	Cards CardSources
}

// ImportOptions are the knobs of an import.
type ImportOptions struct {
	CRS     crs.System
	Partial bool // store the valid features even if some are rejected
	DryRun  bool // validate and report, write nothing
	// Progress, when set, is told how many features were handled.
	Progress func(stage string, done, total int)
	// CanEdit, when set, is asked for each feature's parent ("" for a root).
	CanEdit func(parentCode string) bool
	// AcceptGaps lets the import open gaps inside parents (guard.go).
	AcceptGaps bool
}

// ImportReport says what an import did or would do.
type ImportReport struct {
	Total    int          `json:"total"`
	Accepted int          `json:"accepted"`
	Rejected int          `json:"rejected"`
	DryRun   bool         `json:"dry_run"`
	Counts   ImportCounts `json:"counts"`
	Codes    []string     `json:"codes"`
	Problems []Problem    `json:"problems"`
	// Topology is the guard's verdict on a dry run (nil when not checked).
	Topology *TopologyVerdict `json:"topology,omitempty"`
}

// Import parses data (a GeoJSON FeatureCollection or a zipped Shapefile),
// validates every feature and stores the grids. Unless opts.Partial, any
// rejected feature rejects the whole import with an Unprocessable error
// listing every problem; nothing is stored.
func (s *Service) Import(ctx context.Context, data []byte, opts ImportOptions) (*ImportReport, error) {
	var fs []Feature
	var probs []Problem
	var err error
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		fs, probs, err = ParseShapefileZip(bytes.NewReader(data), int64(len(data)))
	} else {
		fs, probs, err = ParseGeoJSON(bytes.NewReader(data))
	}
	if err != nil {
		return nil, err
	}
	if len(fs)+len(probs) == 0 {
		return nil, errs.Invalidf("features", "no_features", "the collection holds no features")
	}
	return s.importFeatures(ctx, fs, probs, opts)
}

// ImportReader is Import for a reader (CLI use).
func (s *Service) ImportReader(ctx context.Context, r io.Reader, opts ImportOptions) (*ImportReport, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return s.Import(ctx, data, opts)
}

func (s *Service) importFeatures(ctx context.Context, fs []Feature, probs []Problem, opts ImportOptions) (*ImportReport, error) {
	// Features that failed to parse are not in fs; count each index once.
	indexes := map[int]bool{}
	for _, f := range fs {
		indexes[f.Index] = true
	}
	for _, p := range probs {
		if p.Index != nil {
			indexes[*p.Index] = true
		}
	}
	total := len(indexes)
	progress := func(stage string, n int) {
		if opts.Progress != nil {
			opts.Progress(stage, n, total)
		}
	}
	for i := range fs {
		fs[i].Geometry = toWGS84(opts.CRS, fs[i].Geometry)
	}
	progress("parsed", len(fs))
	fs, vp := ValidateFeatures(fs, s.Limits)
	probs = append(probs, vp...)
	progress("validated", total)

	bad := map[int]bool{}
	for _, p := range probs {
		if p.Index != nil {
			bad[*p.Index] = true
		}
	}
	reject := func(f Feature, field, reason, format string, args ...any) {
		i := f.Index
		probs = append(probs, Problem{Field: fmt.Sprintf("features[%d].%s", i, field), Index: &i, Code: f.Code, Reason: reason, Detail: fmt.Sprintf(format, args...)})
		bad[i] = true
	}
	good := make([]Feature, 0, len(fs))
	for _, f := range fs {
		if !bad[f.Index] {
			good = append(good, f)
		}
	}

	// Resolve levels and parents against the import itself and the store.
	// ValidateFeatures has reported duplicate codes within the import.
	byCode := map[string]*Feature{}
	for i := range good {
		if f := &good[i]; f.Code != "" {
			byCode[f.Code] = f
		}
	}
	parentLevel := func(code string) (int, bool, error) {
		if f, ok := byCode[code]; ok && !bad[f.Index] {
			return f.Level, true, nil
		}
		g, err := s.Store.FindGridByCode(ctx, code, nil)
		if errs.Is(err, errs.NotFound) {
			return 0, false, nil
		}
		if err != nil {
			return 0, false, err
		}
		return g.Level, true, nil
	}
	siblings := map[string][]string{}
	for i := range good {
		f := &good[i]
		if bad[f.Index] {
			continue
		}
		if f.ParentCode == "" {
			if f.Level != 1 {
				reject(*f, "parent_code", "parent_required", "a level %d grid needs parent_code", f.Level)
			}
			continue
		}
		pl, ok, err := parentLevel(f.ParentCode)
		if err != nil {
			return nil, err
		}
		if !ok {
			reject(*f, "parent_code", "parent_not_found", "parent grid %s is neither in the import nor in the registry", f.ParentCode)
			continue
		}
		if f.Level != pl+1 {
			reject(*f, "level", "level_mismatch", "level %d under a level %d parent: want level %d", f.Level, pl, pl+1)
			continue
		}
		if f.Code != "" {
			if err := ValidateParentCode(f.Code, f.Level, f.ParentCode, pl); err != nil {
				reject(*f, "code", "code_parent_mismatch", "%s", detail(err))
				continue
			}
		}
		if opts.CanEdit != nil && !opts.CanEdit(f.ParentCode) {
			reject(*f, "parent_code", "forbidden", "you may not edit grids under %s", f.ParentCode)
		}
	}
	if opts.CanEdit != nil {
		for i := range good {
			if f := good[i]; !bad[f.Index] && f.ParentCode == "" && !opts.CanEdit("") {
				reject(f, "parent_code", "forbidden", "only an administrator may import a top-level grid")
			}
		}
	}
	// Number the grids that came without a code.
	var unnumbered []Feature
	for _, f := range good {
		if !bad[f.Index] && f.Code == "" {
			unnumbered = append(unnumbered, f)
			if _, ok := siblings[f.ParentCode]; !ok && f.ParentCode != "" {
				kids, err := s.Store.FindGrids(ctx, GridFilter{Parent: &f.ParentCode, Limit: 100000})
				if err != nil {
					return nil, err
				}
				for _, k := range kids {
					siblings[f.ParentCode] = append(siblings[f.ParentCode], k.Code)
				}
				for _, o := range good {
					if o.ParentCode == f.ParentCode && o.Code != "" {
						siblings[f.ParentCode] = append(siblings[f.ParentCode], o.Code)
					}
				}
			}
		}
	}
	if len(unnumbered) > 0 {
		if err := NumberCodes(unnumbered, siblings); err != nil {
			return nil, err
		}
		assigned := map[int]string{}
		for _, f := range unnumbered {
			assigned[f.Index] = f.Code
		}
		for i := range good {
			if c, ok := assigned[good[i].Index]; ok {
				good[i].Code = c
			}
		}
	}

	rep := &ImportReport{Total: total, DryRun: opts.DryRun}
	sort.Slice(probs, func(i, j int) bool { return idx(probs[i]) < idx(probs[j]) })
	rep.Problems = probs
	var grids []*Grid
	for _, f := range good {
		if bad[f.Index] {
			continue
		}
		grids = append(grids, &Grid{Code: f.Code, Name: f.Name, Level: f.Level, ParentCode: f.ParentCode, Geometry: f.Geometry})
		rep.Codes = append(rep.Codes, f.Code)
	}
	rep.Accepted = len(grids)
	rep.Rejected = total - len(grids)
	if rep.Rejected > 0 && !opts.Partial {
		e := errs.E(errs.Unprocessable, "import_rejected", "%d of %d features rejected; nothing was stored", rep.Rejected, total)
		e.Fields = probs
		return rep, e
	}
	if len(grids) == 0 {
		return rep, nil
	}
	// Parents before children.
	sort.SliceStable(grids, func(i, j int) bool { return grids[i].Level < grids[j].Level })
	gopts := GuardOptions{AcceptGaps: opts.AcceptGaps}
	if opts.DryRun {
		v, err := s.dryRun(gopts, func(check TopologyCheck) error {
			_, err := s.Store.ImportGrids(ctx, grids, s.now(), check)
			return err
		})
		if err != nil {
			return nil, err
		}
		rep.Topology = v
		return rep, nil
	}
	c, err := s.Store.ImportGrids(ctx, grids, s.now(), Guard(gopts))
	if err != nil {
		return nil, err
	}
	rep.Counts = c
	progress("stored", total)
	s.changed(ctx)
	return rep, nil
}

func idx(p Problem) int {
	if p.Index == nil {
		return -1
	}
	return *p.Index
}

func detail(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Msg
	}
	return err.Error()
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) changed(ctx context.Context) {
	if s.OnChange != nil {
		s.OnChange(ctx)
	}
}

// errDryRun rolls back a guarded write whose verdict was all a dry run wanted.
var errDryRun = errors.New("dry run")

// dryRun runs write with a check that records the guard's verdict and
// rolls the write back.
func (s *Service) dryRun(opts GuardOptions, write func(TopologyCheck) error) (*TopologyVerdict, error) {
	var v TopologyVerdict
	err := write(func(pieces []TopologyPiece) error {
		v = Judge(pieces, opts)
		return errDryRun
	})
	if errors.Is(err, errDryRun) {
		return &v, nil
	}
	if err == nil {
		err = errors.New("dry run: the store did not run the topology check")
	}
	return nil, err
}

// Update validates upd like an import and stores it as a new version; a
// change of geometry or parent passes the topology guard first.
func (s *Service) Update(ctx context.Context, code string, upd GridUpdate, sys crs.System, gopts GuardOptions) (*Grid, error) {
	cur, err := s.Store.FindGridByCode(ctx, code, nil)
	if err != nil {
		return nil, err
	}
	if upd.Name != nil && *upd.Name == "" {
		return nil, errs.Invalidf("name", "name_required", "the name must not be empty")
	}
	if upd.Geometry != nil {
		g := toWGS84(sys, *upd.Geometry)
		norm, probs := ValidateGeometry(g, s.Limits)
		if len(probs) > 0 {
			e := errs.E(errs.Invalid, "invalid_geometry", "grid %s: the geometry is invalid", code)
			e.Fields = probs
			return nil, e
		}
		upd.Geometry = &norm
	}
	if upd.ParentCode != nil && *upd.ParentCode != cur.ParentCode {
		p, err := s.Store.FindGridByCode(ctx, *upd.ParentCode, nil)
		if errs.Is(err, errs.NotFound) {
			return nil, errs.Invalidf("parent_code", "parent_not_found", "parent grid %s does not exist", *upd.ParentCode)
		}
		if err != nil {
			return nil, err
		}
		if p.Level != cur.Level-1 {
			return nil, errs.Invalidf("parent_code", "level_mismatch", "a level %d grid needs a level %d parent, %s is level %d", cur.Level, cur.Level-1, p.Code, p.Level)
		}
		if err := ValidateParentCode(code, cur.Level, p.Code, p.Level); err != nil {
			return nil, err
		}
	}
	g, err := s.Store.UpdateGrid(ctx, code, upd, s.now(), Guard(gopts))
	if err != nil {
		return nil, err
	}
	s.changed(ctx)
	return g, nil
}

// toWGS84 converts every coordinate from sys to WGS84.
func toWGS84(sys crs.System, mp orb.MultiPolygon) orb.MultiPolygon {
	if sys == "" || sys == crs.WGS84 || sys == crs.CGCS2000 {
		return mp
	}
	out := make(orb.MultiPolygon, len(mp))
	for i, p := range mp {
		out[i] = make(orb.Polygon, len(p))
		for j, r := range p {
			nr := make(orb.Ring, len(r))
			for k, pt := range r {
				x, y := crs.ToWGS84(sys, pt[0], pt[1])
				nr[k] = orb.Point{x, y}
			}
			out[i][j] = nr
		}
	}
	return out
}
