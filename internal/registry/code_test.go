package registry

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/internal/errs"
)

func TestValidateCode(t *testing.T) {
	tests := []struct {
		name   string
		code   string
		level  int
		reason string // "" = valid
	}{
		{"street", "110101001000000", 1, ""},
		{"community", "110101001001000", 2, ""},
		{"basic grid", "110101001001001", 3, ""},
		{"level 4 digits only", "110101001001001", 4, ""},
		{"level 4 trailing zeros allowed", "110101001000000", 4, ""},
		{"too short", "11010100100100", 3, "invalid_code"},
		{"too long", "1101010010010010", 3, "invalid_code"},
		{"letter", "11010100100100X", 3, "invalid_code"},
		{"full-width digit", "11010100100100１", 3, "invalid_code"},
		{"empty", "", 3, "invalid_code"},
		{"level 4 letter", "11010100100100X", 4, "invalid_code"},
		{"zero county", "000000001001001", 3, "invalid_code"},
		{"street with community group", "110101001001000", 1, "invalid_code"},
		{"street with grid group", "110101001000001", 1, "invalid_code"},
		{"street zero group", "110101000000000", 1, "invalid_code"},
		{"community with grid group", "110101001001001", 2, "invalid_code"},
		{"community zero group", "110101001000000", 2, "invalid_code"},
		{"grid zero group", "110101001001000", 3, "invalid_code"},
		{"grid under zero community", "110101001000001", 3, "invalid_code"},
		{"level 0", "110101001001001", 0, "invalid_level"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateCode(tc.code, tc.level)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("ValidateCode(%q, %d) = %v", tc.code, tc.level, err)
				}
				return
			}
			e, ok := errs.As(err)
			if !ok || e.Kind != errs.Invalid || e.Reason != tc.reason {
				t.Fatalf("ValidateCode(%q, %d) = %v, want Invalid %s", tc.code, tc.level, err, tc.reason)
			}
			if len(e.Fields) != 1 || e.Fields[0].Detail == "" {
				t.Errorf("want one field with a detail, got %+v", e.Fields)
			}
		})
	}
}

func TestCodePrefix(t *testing.T) {
	tests := []struct {
		code  string
		level int
		want  string
	}{
		{"110101001001001", 0, "110101"},
		{"110101001001001", 1, "110101001"},
		{"110101001001001", 2, "110101001001"},
		{"110101001001001", 3, "110101001001001"},
		{"110101001001001", 5, "110101001001001"},
		{"1101", 2, "1101"},
	}
	for _, tc := range tests {
		if got := CodePrefix(tc.code, tc.level); got != tc.want {
			t.Errorf("CodePrefix(%q, %d) = %q, want %q", tc.code, tc.level, got, tc.want)
		}
	}
}

func TestValidateParentCode(t *testing.T) {
	tests := []struct {
		name        string
		code        string
		level       int
		parent      string
		parentLevel int
		ok          bool
	}{
		{"community under street", "110101001001000", 2, "110101001000000", 1, true},
		{"grid under community", "110101001001001", 3, "110101001001000", 2, true},
		{"street under county", "110101001000000", 1, "110101", 0, true},
		{"level 4 under grid", "110101001001001", 4, "110101001001009", 3, true},
		{"other street", "110101002001000", 2, "110101001000000", 1, false},
		{"other community", "110101001002001", 3, "110101001001000", 2, false},
		{"skipped level", "110101001001001", 3, "110101001000000", 1, false},
		{"same level", "110101001001001", 3, "110101001001002", 3, false},
		{"no parent", "110101001001001", 3, "", 2, false},
		{"short parent", "110101001001001", 3, "1101010010", 2, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateParentCode(tc.code, tc.level, tc.parent, tc.parentLevel)
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			e, ok := errs.As(err)
			if !ok || e.Reason != "code_parent_mismatch" || e.Kind != errs.Invalid {
				t.Fatalf("err = %v, want Invalid code_parent_mismatch", err)
			}
		})
	}
}

// squareFeature is a level-3 feature without a code: a 10×10 (×0.001°)
// square with its south-west corner at (x, y).
func squareFeature(index int, parent string, x, y float64) Feature {
	return Feature{Index: index, Name: fmt.Sprint("f", index), Level: 3, ParentCode: parent,
		Geometry: orb.MultiPolygon{{lsq(x, y, x+10, y+10)}}}
}

func TestNumberCodes3x2RowMajor(t *testing.T) {
	const parent = "110101001001000"
	// Three columns, two rows; the northern row is slightly ragged.
	layout := []struct {
		x, y float64
		want string
	}{
		{0, 10.4, "001"}, {10, 10, "002"}, {20, 9.7, "003"},
		{0, 0, "004"}, {10, 0.2, "005"}, {20, -0.3, "006"},
	}
	fs := make([]Feature, len(layout))
	for i, l := range layout {
		fs[i] = squareFeature(i, parent, l.x, l.y)
	}
	rand.New(rand.NewSource(7)).Shuffle(len(fs), func(i, j int) { fs[i], fs[j] = fs[j], fs[i] })
	if err := NumberCodes(fs, nil); err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		want := "110101001001" + layout[f.Index].want
		if f.Code != want {
			t.Errorf("feature %d at (%v, %v): code %s, want %s", f.Index, layout[f.Index].x, layout[f.Index].y, f.Code, want)
		}
		if err := ValidateCode(f.Code, 3); err != nil {
			t.Error(err)
		}
	}
}

func TestNumberCodesSkipsUsedCodes(t *testing.T) {
	const parent = "110101001001000"
	fs := []Feature{
		squareFeature(0, parent, 0, 10), squareFeature(1, parent, 10, 10), squareFeature(2, parent, 20, 10),
		squareFeature(3, parent, 0, 0), squareFeature(4, parent, 10, 0),
	}
	fs = append(fs, Feature{Index: 5, Code: "110101001001004", Name: "kept", Level: 3, ParentCode: parent})
	existing := map[string][]string{parent: {"110101001001001", "110101001001003", "110101002001002" /* another parent */}}
	if err := NumberCodes(fs, existing); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.Code[12:])
	}
	if want := "002 005 006 007 008 004"; strings.Join(got, " ") != want {
		t.Errorf("codes %v, want %s", got, want)
	}
}

func TestNumberCodesUpperLevels(t *testing.T) {
	fs := []Feature{
		{Index: 0, Name: "东", Level: 2, ParentCode: "110101001000000", Geometry: orb.MultiPolygon{{lsq(20, 0, 30, 10)}}},
		{Index: 1, Name: "西", Level: 2, ParentCode: "110101001000000", Geometry: orb.MultiPolygon{{lsq(0, 0, 10, 10)}}},
		{Index: 2, Name: "街道", Level: 1, ParentCode: "110101", Geometry: orb.MultiPolygon{{lsq(0, 0, 30, 10)}}},
	}
	if err := NumberCodes(fs, map[string][]string{"110101": {"110101001000000"}}); err != nil {
		t.Fatal(err)
	}
	want := []string{"110101001002000", "110101001001000", "110101002000000"}
	for i, f := range fs {
		if f.Code != want[i] {
			t.Errorf("feature %d: code %s, want %s", i, f.Code, want[i])
		}
		if err := ValidateCode(f.Code, f.Level); err != nil {
			t.Error(err)
		}
	}
}

func TestNumberCodesErrors(t *testing.T) {
	const parent = "110101001001000"
	full := make([]string, 0, 999)
	for i := 1; i <= 999; i++ {
		full = append(full, fmt.Sprintf("110101001001%03d", i))
	}
	tests := []struct {
		name     string
		fs       []Feature
		existing map[string][]string
		kind     errs.Kind
		reason   string // of the field
	}{
		{"no parent", []Feature{squareFeature(0, "", 0, 0)}, nil, errs.Invalid, "parent_required"},
		{"exhausted", []Feature{squareFeature(0, parent, 0, 0)}, map[string][]string{parent: full}, errs.Unprocessable, "codes_exhausted"},
		{"level 4", []Feature{{Index: 0, Level: 4, ParentCode: "110101001001001"}}, nil, errs.Invalid, "numbering_unsupported"},
		{"bad parent", []Feature{squareFeature(0, "110101001000000", 0, 0)}, nil, errs.Invalid, "invalid_code"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := NumberCodes(tc.fs, tc.existing)
			e, ok := errs.As(err)
			if !ok || e.Kind != tc.kind || len(e.Fields) != 1 || e.Fields[0].Reason != tc.reason {
				t.Fatalf("err = %#v, want kind %v with field reason %s", err, tc.kind, tc.reason)
			}
			if tc.fs[0].Code != "" {
				t.Errorf("a failed numbering must assign nothing, got %s", tc.fs[0].Code)
			}
		})
	}
}
