package registers

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

func TestCheckIDNumber(t *testing.T) {
	cases := []struct {
		id string
		ok bool
	}{
		{"11010519491231002X", true}, // the standard's published example
		{"11010519491231002x", true},
		{"110105194912310021", false}, // wrong check character
		{"11010519491331002X", false}, // month 13
		{"1101051949123100", false},   // too short
		{"11010519491231002Y", false},
		{"A1010519491231002X", false},
	}
	for _, c := range cases {
		if err := CheckIDNumber(c.id); (err == nil) != c.ok {
			t.Errorf("CheckIDNumber(%q) = %v, want ok=%t", c.id, err, c.ok)
		}
	}
}

func TestMask(t *testing.T) {
	if got := MaskIDNumber("37010219800101123X"); got != "3701**********123X" {
		t.Errorf("MaskIDNumber = %q", got)
	}
	if got := MaskPhone("13800138000"); got != "138****8000" {
		t.Errorf("MaskPhone = %q", got)
	}
}

func TestCipher(t *testing.T) {
	c, err := NewCipher(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	ad := AD("key_persons", 7, "id_number")
	b := c.Seal("11010519491231002X", ad)
	if bytes.Contains(b, []byte("19491231")) {
		t.Fatal("ciphertext holds plaintext")
	}
	if b2 := c.Seal("11010519491231002X", ad); bytes.Equal(b, b2) {
		t.Error("two seals of the same value are equal (nonce reuse)")
	}
	if got, err := c.Open(b, ad); err != nil || got != "11010519491231002X" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	for name, tamper := range map[string]func() ([]byte, []byte){
		"other row":   func() ([]byte, []byte) { return b, AD("key_persons", 8, "id_number") },
		"other field": func() ([]byte, []byte) { return b, AD("key_persons", 7, "diagnosis") },
		"flipped bit": func() ([]byte, []byte) {
			x := bytes.Clone(b)
			x[len(x)-1] ^= 1
			return x, ad
		},
		"truncated": func() ([]byte, []byte) { return b[:10], ad },
	} {
		x, a := tamper()
		if _, err := c.Open(x, a); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
	if s := c.Seal("", ad); s != nil {
		t.Error("empty value sealed to bytes")
	}
	if _, err := NewCipher(make([]byte, 16)); err == nil {
		t.Error("a 16-byte key was accepted")
	}
}

func TestBusinessFlags(t *testing.T) {
	day := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	r := &Record{Kind: Business, Category: "internet_cafe", Attrs: Attrs{Licences: []Licence{
		{Type: "business_licence", Number: "1", Expires: "2026-11-25"}, // expires today: expired
		{Type: "tax_registration", Number: "2", Expires: "2026-11-26"},
	}}}
	got := map[string]string{}
	for _, f := range r.Flags(day) {
		got[f.Item] = f.Reason
	}
	want := map[string]string{"business_licence": "licence_expired", "culture_licence": "licence_missing"}
	if len(got) != len(want) || got["business_licence"] != want["business_licence"] || got["culture_licence"] != want["culture_licence"] {
		t.Errorf("flags %v, want %v", got, want)
	}
	p := &Record{Kind: Place, Category: "lpg_seller", Attrs: Attrs{Checklist: []CheckItem{{Item: "持燃气经营许可证", OK: true}, {Item: "安装燃气泄漏报警装置", OK: false, Note: "未安装"}}}}
	fs := p.Flags(day)
	if len(fs) != 2 || fs[0].Reason != "check_failed" || fs[1].Reason != "check_missing" {
		t.Errorf("place flags %+v", fs)
	}
}

func TestValidate(t *testing.T) {
	size := 0
	cases := []struct {
		name   string
		r      Record
		fields []string
	}{
		{"household ok", Record{Kind: Household, Address: "一号", Geometry: orb.Point{117, 36}}, nil},
		{"household no address", Record{Kind: Household, Geometry: orb.Point{117, 36}}, []string{"address"}},
		{"household size 0", Record{Kind: Household, Address: "一号", Geometry: orb.Point{117, 36}, Size: &size}, []string{"size"}},
		{"person without household", Record{Kind: Person, Name: "张三"}, []string{"household_id"}},
		{"person with bad id", Record{Kind: Person, Name: "张三", HouseholdID: new(int64(1)), IDNumber: "123"}, []string{"id_number"}},
		{"business polygon", Record{Kind: Business, Name: "店", Category: "shop", Geometry: orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}, []string{"geometry"}},
		{"building polygon", Record{Kind: Building, Name: "楼", Geometry: orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}, nil},
		{"tag on household", Record{Kind: Household, Address: "一号", Geometry: orb.Point{117, 36}, Tags: []string{"disabled"}}, []string{"tags"}},
		{"bad phone", Record{Kind: Organisation, Name: "协会", Geometry: orb.Point{117, 36}, Phone: "12345"}, []string{"phone"}},
		{"landline", Record{Kind: Organisation, Name: "协会", Geometry: orb.Point{117, 36}, Phone: "0531-88888888"}, nil},
		{"unknown checklist item", Record{Kind: Place, Name: "河", Category: "dangerous_waters", Geometry: orb.Point{117, 36},
			Attrs: Attrs{Checklist: []CheckItem{{Item: "不存在"}}}}, []string{"checklist[0].item"}},
	}
	for _, c := range cases {
		fs := Validate(&c.r)
		var got []string
		for _, f := range fs {
			got = append(got, f.Field)
		}
		if strings.Join(got, ",") != strings.Join(c.fields, ",") {
			t.Errorf("%s: fields %v, want %v", c.name, got, c.fields)
		}
	}
}

// TestPointOnSurface: the locating point of a polygon lies inside it, also
// for a U shape whose centroid is outside.
func TestPointOnSurface(t *testing.T) {
	u := orb.Polygon{{{0, 0}, {3, 0}, {3, 3}, {2, 3}, {2, 1}, {1, 1}, {1, 3}, {0, 3}, {0, 0}}}
	for _, g := range []orb.Geometry{u, orb.MultiPolygon{u, {{{10, 10}, {10.1, 10}, {10.1, 10.1}, {10, 10}}}},
		orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}} {
		p := locationPoint(g)
		var poly orb.Polygon
		switch v := g.(type) {
		case orb.Polygon:
			poly = v
		case orb.MultiPolygon:
			poly = v[0]
		}
		if !planar.PolygonContains(poly, p) {
			t.Errorf("locating point %v is outside %v", p, g)
		}
	}
}
