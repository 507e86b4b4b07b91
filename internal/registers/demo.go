package registers

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/gridd/gridd/internal/auth"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// DemoGrid is a basic grid of the demo town, with its official figures
// and the user responsible for it.
type DemoGrid struct {
	Code          string
	Geometry      orb.MultiPolygon
	Households    int
	Population    int
	WorkerID      int64
	CountyCode    string // first 6 digits of the synthetic ID numbers
	BusinessCount int    // default 6
}

// DemoHousehold is a generated household with its people.
type DemoHousehold struct {
	Household *Record
	People    []*Record
}

// Demo is a generated, deterministic register for the demo town: the
// official number of households per grid, people summing to the official
// population, a few businesses (some with missing or expired licences),
// places of concern and key persons. All personal data is synthetic.
type Demo struct {
	Households []DemoHousehold
	Others     []*Record
	KeyPersons []*KeyPerson
}

var (
	demoSurnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢")
	demoGiven    = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍建国建华志强淑珍海燕春梅")
	demoStreets  = []string{"明水路", "绣水大街", "汇泉路", "百脉泉街", "山泉路", "福泰路", "唐王路", "龙山街"}
)

func demoName(r *rand.Rand) string {
	n := string(demoSurnames[r.IntN(len(demoSurnames))]) + string(demoGiven[r.IntN(len(demoGiven))])
	if r.IntN(3) > 0 {
		n += string(demoGiven[r.IntN(len(demoGiven))])
	}
	return n
}

func demoID(r *rand.Rand, county string, year int) string {
	s := fmt.Sprintf("%s%04d%02d%02d%03d", county, year, 1+r.IntN(12), 1+r.IntN(28), r.IntN(1000))
	w := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(s[i]-'0') * w[i]
	}
	return s + string("10X98765432"[sum%11])
}

func demoPoint(r *rand.Rand, mp orb.MultiPolygon) orb.Point {
	b := mp.Bound()
	for i := 0; i < 10000; i++ {
		p := orb.Point{b.Min[0] + r.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + r.Float64()*(b.Max[1]-b.Min[1])}
		if planar.MultiPolygonContains(mp, p) {
			return p
		}
	}
	return pointOnSurface(mp)
}

// GenerateDemo builds the demo registers for grids from seed.
func GenerateDemo(grids []DemoGrid, seed uint64) *Demo {
	r := rand.New(rand.NewPCG(seed, 0x6772696464))
	d := &Demo{}
	bizTypes := sortedKeys(BusinessTypes)
	placeTypes := sortedKeys(PlaceTypes)
	for gi, g := range grids {
		county := g.CountyCode
		if county == "" {
			county = g.Code[:6]
		}
		// Household sizes: at least one person each, the rest spread at
		// random so the grid's total matches its official population.
		sizes := make([]int, g.Households)
		left := g.Population - g.Households
		for i := range sizes {
			sizes[i] = 1
		}
		for ; left > 0 && g.Households > 0; left-- {
			sizes[r.IntN(g.Households)]++
		}
		for i := 0; i < g.Households; i++ {
			size := sizes[i]
			hh := &Record{Kind: Household, Address: fmt.Sprintf("%s%d号%d户", demoStreets[(gi+i/40)%len(demoStreets)], 1+i/4, 1+i%4),
				Geometry: demoPoint(r, g.Geometry), Size: &size}
			dh := DemoHousehold{Household: hh}
			for j := 0; j < size; j++ {
				year := 1940 + r.IntN(80)
				p := &Record{Kind: Person, Name: demoName(r), IDNumber: demoID(r, county, year)}
				if j == 0 {
					p.Phone = fmt.Sprintf("13%09d", r.IntN(1_000_000_000))
				}
				switch {
				case size == 1 && year < 1960:
					p.Tags = []string{"elderly_alone"}
				case r.IntN(40) == 0:
					p.Tags = []string{"low_income"}
				case r.IntN(60) == 0:
					p.Tags = []string{"disabled"}
				case r.IntN(50) == 0 && year > 1970:
					p.Tags = []string{"unemployed"}
				}
				dh.People = append(dh.People, p)
			}
			d.Households = append(d.Households, dh)
		}
		n := g.BusinessCount
		if n == 0 {
			n = 6
		}
		for i := 0; i < n; i++ {
			t := bizTypes[r.IntN(len(bizTypes))]
			b := &Record{Kind: Business, Name: fmt.Sprintf("%s%d", BusinessTypes[t].Name, gi*10+i+1), Category: t, Geometry: demoPoint(r, g.Geometry)}
			for k, lt := range RequiredLicences(t) {
				if r.IntN(8) == 0 {
					continue // missing
				}
				exp := fmt.Sprintf("%d-%02d-28", 2025+r.IntN(4), 1+r.IntN(12))
				b.Attrs.Licences = append(b.Attrs.Licences, Licence{Type: lt, Number: fmt.Sprintf("%s%05d%02d", g.Code[9:], gi*100+i, k), Expires: exp})
			}
			d.Others = append(d.Others, b)
		}
		if gi%2 == 0 {
			t := placeTypes[(gi/2)%len(placeTypes)]
			pl := &Record{Kind: Place, Name: PlaceTypes[t].Name + fmt.Sprint(gi+1), Category: t, Geometry: demoPoint(r, g.Geometry)}
			for _, item := range PlaceTypes[t].Checklist {
				if r.IntN(4) > 0 {
					pl.Attrs.Checklist = append(pl.Attrs.Checklist, CheckItem{Item: item, OK: r.IntN(5) > 0})
				}
			}
			d.Others = append(d.Others, pl)
		}
		if gi%3 == 0 && g.WorkerID != 0 {
			cats := sortedKeys(KeyPersonCategories)
			cats = slices.DeleteFunc(cats, func(c string) bool { return c == "other" })
			p := demoPoint(r, g.Geometry)
			d.KeyPersons = append(d.KeyPersons, &KeyPerson{Category: cats[r.IntN(len(cats))], Name: demoName(r),
				Address: fmt.Sprintf("%s%d号", demoStreets[gi%len(demoStreets)], 1+r.IntN(80)), Point: &p,
				ResponsibleUserID: g.WorkerID, IDNumber: demoID(r, county, 1960+r.IntN(45)),
				CaseNotes: "演示数据：按月走访，情况稳定"})
		}
	}
	return d
}

// CreateMany validates, locates, seals and stores records in one
// transaction (people after their households are stored).
func (s *Service) CreateMany(ctx context.Context, rs []*Record) error {
	households := map[int64]string{} // household id → grid, looked up once
	var pts []orb.Point
	var located []*Record
	for i, r := range rs {
		if fs := Validate(r); len(fs) > 0 {
			return invalid(fs, "record %d (%s) is invalid", i, r.Kind)
		}
		if r.Kind == Person {
			g, ok := households[*r.HouseholdID]
			if !ok {
				if err := s.place(ctx, r); err != nil {
					return fmt.Errorf("record %d: %w", i, err)
				}
				households[*r.HouseholdID] = r.GridCode
				continue
			}
			r.Point, r.GridCode = nil, g
			continue
		}
		p := locationPoint(r.Geometry)
		r.Point = &p
		pts = append(pts, p)
		located = append(located, r)
	}
	if len(pts) > 0 {
		codes, err := s.Locate(ctx, pts)
		if err != nil {
			return err
		}
		for i, r := range located {
			r.GridCode = codes[i]
		}
	}
	if len(rs) == 0 {
		return nil
	}
	ids, err := s.Store.NextRecordIDs(ctx, len(rs))
	if err != nil {
		return err
	}
	now := s.now()
	for i, r := range rs {
		r.ID = ids[i]
		s.seal(r)
		r.CreatedAt, r.UpdatedAt = now, now
	}
	return s.Store.CreateRecords(ctx, rs)
}

// LoadDemo stores a generated demo register.
func LoadDemo(ctx context.Context, recs *Service, kps *KeyPersons, d *Demo) error {
	hhs := make([]*Record, len(d.Households))
	for i, h := range d.Households {
		hhs[i] = h.Household
	}
	if err := recs.CreateMany(ctx, hhs); err != nil {
		return fmt.Errorf("demo households: %w", err)
	}
	var persons []*Record
	for _, h := range d.Households {
		for _, p := range h.People {
			p.HouseholdID = &h.Household.ID
			persons = append(persons, p)
		}
	}
	if err := recs.CreateMany(ctx, persons); err != nil {
		return fmt.Errorf("demo people: %w", err)
	}
	if err := recs.CreateMany(ctx, d.Others); err != nil {
		return fmt.Errorf("demo businesses and places: %w", err)
	}
	// The loader acts as an admin; each file's responsible user must
	// still be able to act on it.
	for _, k := range d.KeyPersons {
		if err := kps.Create(ctx, auth.Operator(), k, ""); err != nil {
			return fmt.Errorf("demo key person: %w", err)
		}
	}
	return nil
}
