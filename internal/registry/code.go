package registry

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/gridd/gridd/internal/errs"
)

// Grid codes follow the Beijing DB11 scheme: 15 digits made of
//
//	6-digit county (GB/T 2260) + 3-digit street + 3-digit community + 3-digit grid
//
// A level-1 grid (street) uses the first 9 digits and pads with "000000", a
// level-2 grid (community) uses 12 digits and pads with "000", a level-3 grid
// (basic grid) uses all 15. Deeper levels cannot be expressed by the scheme;
// their codes are only checked for 15 digits.
const (
	codeLen        = 15
	codeCountyLen  = 6
	codeGroupLen   = 3
	codeMaxSeq     = 999
	codeZeroGroup  = "000"
	codeSchemeDesc = "15 digits: 6-digit county (GB/T 2260) + 3-digit street + 3-digit community + 3-digit grid"
)

// ValidateCode checks that code is a well-formed DB11 code for a grid of the
// given level. It returns an *errs.Error of kind Invalid with reason
// "invalid_code" (or "invalid_level" for a level below 1).
func ValidateCode(code string, level int) error {
	if level < 1 {
		return errs.Invalidf("level", "invalid_level", "level must be 1 or more, got %d", level)
	}
	if len(code) != codeLen || !codeAllDigits(code) {
		return errs.Invalidf("code", "invalid_code", "expected %s, got %q", codeSchemeDesc, code)
	}
	if code[:codeCountyLen] == "000000" {
		return errs.Invalidf("code", "invalid_code", "code %q: the 6-digit county part (GB/T 2260) must not be 000000", code)
	}
	if level > LevelBasic {
		return nil
	}
	// Groups 1..level are used and must not be "000"; the rest must be "000".
	names := [...]string{"street", "community", "grid"}
	for g := 1; g <= 3; g++ {
		part := codeGroup(code, g)
		switch {
		case g <= level && part == codeZeroGroup:
			return errs.Invalidf("code", "invalid_code",
				"code %q: a level-%d grid must have a non-zero %s group (digits %d-%d); expected %s",
				code, level, names[g-1], codeCountyLen+(g-1)*codeGroupLen+1, codeCountyLen+g*codeGroupLen, codeLevelShape(level))
		case g > level && part != codeZeroGroup:
			return errs.Invalidf("code", "invalid_code",
				"code %q: a level-%d grid must end with %s; expected %s",
				code, level, strings.Repeat("0", codeLen-CodePrefixLen(level)), codeLevelShape(level))
		}
	}
	return nil
}

// codeLevelShape describes the expected shape of a code at level.
func codeLevelShape(level int) string {
	switch level {
	case 1:
		return "CCCCCCSSS000000 (county + street, then six zeros)"
	case 2:
		return "CCCCCCSSSMMM000 (county + street + community, then three zeros)"
	default:
		return "CCCCCCSSSMMMGGG (county + street + community + grid)"
	}
}

// CodePrefixLen is the number of meaningful leading digits of a code at
// level: 6 for level 0 (the county), 9 for level 1, 12 for level 2 and 15
// for level 3 and deeper.
func CodePrefixLen(level int) int {
	switch {
	case level <= 0:
		return codeCountyLen
	case level >= LevelBasic:
		return codeLen
	default:
		return codeCountyLen + level*codeGroupLen
	}
}

// CodePrefix returns the meaningful prefix of code at level: level 1 → 9
// digits, 2 → 12, 3 and deeper → 15 (level 0, the county, → 6). A code
// shorter than the prefix is returned whole.
func CodePrefix(code string, level int) string {
	n := CodePrefixLen(level)
	if len(code) < n {
		return code
	}
	return code[:n]
}

// ValidateParentCode checks that a grid with code at level may hang under the
// grid parent at parentLevel: the level must be exactly one deeper and, for
// levels up to 3, code must start with the parent's meaningful prefix. It
// returns an *errs.Error of kind Invalid with reason "code_parent_mismatch".
func ValidateParentCode(code string, level int, parent string, parentLevel int) error {
	if parent == "" {
		return errs.Invalidf("parent_code", "code_parent_mismatch",
			"a level-%d grid needs the code of its level-%d parent", level, level-1)
	}
	if level != parentLevel+1 {
		return errs.Invalidf("parent_code", "code_parent_mismatch",
			"a level-%d grid must have a level-%d parent; parent %q is level %d", level, level-1, parent, parentLevel)
	}
	if level <= LevelBasic {
		prefix := CodePrefix(parent, parentLevel)
		if len(prefix) < CodePrefixLen(parentLevel) || !strings.HasPrefix(code, prefix) {
			return errs.Invalidf("parent_code", "code_parent_mismatch",
				"code %q must start with %q, the first %d digits of its parent %q",
				code, prefix, CodePrefixLen(parentLevel), parent)
		}
	}
	return nil
}

// codeGroup returns the g-th 3-digit group (1 = street, 2 = community,
// 3 = grid) of a 15-digit code.
func codeGroup(code string, g int) string {
	start := codeCountyLen + (g-1)*codeGroupLen
	return code[start : start+codeGroupLen]
}

func codeAllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// NumberCodes assigns codes to the features whose Code is empty, within their
// parent (ParentCode), mutating fs.
//
// Order: the unnumbered children of one parent (and level) are ordered by
// their representative point — the centroid of their largest polygon, or its
// bounding-box centre if that polygon has no area. They are sorted by
// descending latitude and cut into rows: a new row starts when a point lies
// more than half the median feature height (bounding-box height) below the
// first point of the current row. Within a row they are ordered west → east
// (ascending longitude); ties keep the input order. So a regular layout is
// numbered row by row, north → south, each row west → east.
//
// Codes: the parent's meaningful prefix (CodePrefix(parent, level-1)) plus
// the next free 3-digit sequence number, skipping numbers already used by
// siblings — the codes in existingSiblingCodes[parent] and the non-empty codes
// of fs under the same parent — and padded with "000" groups to 15 digits for
// levels 1 and 2. Level-1 features hang under a county: their parent code must
// carry the 6-digit GB/T 2260 county code.
//
// It returns an *errs.Error (no code is assigned at all) when a feature with
// an empty code has no parent ("parent_required"), an invalid level or parent
// code, a level deeper than 3 ("numbering_unsupported"), or when a parent runs
// out of the 999 sequence numbers ("codes_exhausted", kind Unprocessable).
func NumberCodes(fs []Feature, existingSiblingCodes map[string][]string) error {
	type groupKey struct {
		parent string
		level  int
	}
	var problems []Problem
	groups := map[groupKey][]int{}
	var order []groupKey
	for i := range fs {
		f := &fs[i]
		if strings.TrimSpace(f.Code) != "" {
			continue
		}
		fieldPrefix := fmt.Sprintf("features[%d].", f.Index)
		parent := strings.TrimSpace(f.ParentCode)
		switch {
		case f.Level < 1:
			problems = append(problems, newProblem(fieldPrefix+"level", f.Index, "", "invalid_level",
				fmt.Sprintf("cannot number a feature of level %d; level must be 1 or more", f.Level)))
			continue
		case f.Level > LevelBasic:
			problems = append(problems, newProblem(fieldPrefix+"code", f.Index, "", "numbering_unsupported",
				fmt.Sprintf("automatic numbering covers levels 1-3 of the DB11 scheme; a level-%d feature needs an explicit code", f.Level)))
			continue
		case parent == "":
			problems = append(problems, newProblem(fieldPrefix+"parent_code", f.Index, "", "parent_required",
				"a feature without a code needs a parent_code to be numbered within"))
			continue
		}
		if err := codeCheckParentForNumbering(parent, f.Level-1); err != "" {
			problems = append(problems, newProblem(fieldPrefix+"parent_code", f.Index, "", "invalid_code", err))
			continue
		}
		k := groupKey{parent, f.Level}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	if len(problems) > 0 {
		return errs.E(errs.Invalid, "numbering_failed", "cannot number %d feature(s)", len(problems)).WithFields(problems...)
	}

	assigned := make(map[int]string)
	for _, k := range order {
		idx := groups[k]
		prefix := CodePrefix(k.parent, k.level-1)
		used := make(map[int]bool)
		codeMarkUsed := func(c string) {
			c = strings.TrimSpace(c)
			if len(c) != codeLen || !codeAllDigits(c) || !strings.HasPrefix(c, prefix) {
				return
			}
			if n, err := strconv.Atoi(codeGroup(c, k.level)); err == nil {
				used[n] = true
			}
		}
		for _, c := range existingSiblingCodes[k.parent] {
			codeMarkUsed(c)
		}
		for i := range fs {
			if strings.TrimSpace(fs[i].ParentCode) == k.parent {
				codeMarkUsed(fs[i].Code)
			}
		}
		sorted := codeSpatialOrder(fs, idx)
		next := 1
		for _, i := range sorted {
			for next <= codeMaxSeq && used[next] {
				next++
			}
			if next > codeMaxSeq {
				f := fs[i]
				problems = append(problems, newProblem(fmt.Sprintf("features[%d].code", f.Index), f.Index, "", "codes_exhausted",
					fmt.Sprintf("parent %q has no free 3-digit sequence number left (001-999 are in use)", k.parent)))
				continue
			}
			used[next] = true
			code := prefix + fmt.Sprintf("%03d", next)
			code += strings.Repeat("0", codeLen-len(code))
			assigned[i] = code
		}
	}
	if len(problems) > 0 {
		return errs.E(errs.Unprocessable, "codes_exhausted", "cannot number %d feature(s): parent codes exhausted", len(problems)).WithFields(problems...)
	}
	for i, c := range assigned {
		fs[i].Code = c
	}
	return nil
}

// codeCheckParentForNumbering checks that parent is a usable prefix source at
// parentLevel and returns an English complaint, or "".
func codeCheckParentForNumbering(parent string, parentLevel int) string {
	if parentLevel == 0 {
		if len(parent) < codeCountyLen || !codeAllDigits(parent) || (len(parent) != codeCountyLen && len(parent) != codeLen) {
			return fmt.Sprintf("parent_code %q of a level-1 feature must be a 6-digit GB/T 2260 county code (or its 15-digit form)", parent)
		}
		return ""
	}
	if err := ValidateCode(parent, parentLevel); err != nil {
		if e, ok := errs.As(err); ok && len(e.Fields) > 0 {
			return "parent_code: " + e.Fields[0].Detail
		}
		return err.Error()
	}
	return ""
}

// codeSpatialOrder returns the feature indexes idx ordered north → south in
// rows, west → east within a row (see NumberCodes).
func codeSpatialOrder(fs []Feature, idx []int) []int {
	type item struct {
		i        int
		lon, lat float64
		height   float64
	}
	items := make([]item, 0, len(idx))
	heights := make([]float64, 0, len(idx))
	for _, i := range idx {
		p, h := codeRepresentativePoint(fs[i].Geometry)
		items = append(items, item{i: i, lon: p[0], lat: p[1], height: h})
		heights = append(heights, h)
	}
	slices.Sort(heights)
	median := 0.0
	if n := len(heights); n > 0 {
		if n%2 == 1 {
			median = heights[n/2]
		} else {
			median = (heights[n/2-1] + heights[n/2]) / 2
		}
	}
	tol := median / 2

	sort.SliceStable(items, func(a, b int) bool { return items[a].lat > items[b].lat })
	rows := make([]int, len(items))
	row, rowLat := 0, 0.0
	for k := range items {
		if k == 0 {
			rowLat = items[k].lat
		} else if rowLat-items[k].lat > tol {
			row++
			rowLat = items[k].lat
		}
		rows[k] = row
	}
	perm := make([]int, len(items))
	for k := range perm {
		perm[k] = k
	}
	sort.SliceStable(perm, func(a, b int) bool {
		ia, ib := perm[a], perm[b]
		if rows[ia] != rows[ib] {
			return rows[ia] < rows[ib]
		}
		if items[ia].lon != items[ib].lon {
			return items[ia].lon < items[ib].lon
		}
		return items[ia].i < items[ib].i
	})
	out := make([]int, len(perm))
	for k, p := range perm {
		out[k] = items[p].i
	}
	return out
}

// codeRepresentativePoint returns the centroid of the largest polygon of mp
// (its bounding-box centre when it has no area) and the height of mp's
// bounding box. Non-finite input yields a zero point.
func codeRepresentativePoint(mp orb.MultiPolygon) (orb.Point, float64) {
	if len(mp) == 0 {
		return orb.Point{}, 0
	}
	best, bestArea := -1, -1.0
	for i, p := range mp {
		if len(p) == 0 {
			continue
		}
		a := math.Abs(planar.Area(p))
		if a > bestArea {
			best, bestArea = i, a
		}
	}
	b := mp.Bound()
	h := b.Max[1] - b.Min[1]
	if best < 0 {
		return b.Center(), h
	}
	pt := mp[best].Bound().Center()
	if bestArea > 0 {
		if c, _ := planar.CentroidArea(mp[best]); !math.IsNaN(c[0]) && !math.IsNaN(c[1]) {
			pt = c
		}
	}
	if math.IsNaN(h) || math.IsInf(h, 0) {
		h = 0
	}
	return pt, h
}
