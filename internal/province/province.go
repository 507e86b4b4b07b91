// Package province is the province view over several cities: each city
// keeps its own gridd and database and publishes its grids, cases and
// monthly assessment figures by PostgreSQL logical replication; the
// province database subscribes to every city, rows keyed by (county code,
// id), and a province gridd serves province-wide statistics, grid tiles and
// hot spots from it, read-only.
//
// What leaves a city is exactly Published (the publication's column lists):
// no names, phone numbers, descriptions, reporters or workers. A city
// outage only makes its subscription lag: the province keeps answering
// from what it has, and Cities tells how far behind each city is.
package province

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/analytics"
	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/tiles"
)

// PublicationName is the publication a city creates and the province
// subscribes to.
const PublicationName = "gridd_province"

// Table is a published table and the columns of it that leave the city.
type Table struct {
	Name    string
	Columns []string
}

// Published lists what a city publishes: every column a province figure,
// tile or hot spot needs, nothing personal (docs/PIPL.md, "What leaves a
// city"). county_code leads each list: it is part of the replica identity.
var Published = []Table{
	{Name: "grid_versions", Columns: []string{"county_code", "id", "code", "name", "level", "parent_code", "geom", "area_m2",
		"households", "population", "version", "valid_from", "valid_to"}},
	{Name: "cases", Columns: []string{"county_code", "id", "number", "category_code", "source", "geom", "reported_at", "grid_code",
		"status", "emergency", "resolved_on_site", "lead_unit", "accepted_at", "closed_at", "due_at", "handled_on_time", "h3_cell",
		"created_at", "updated_at"}},
	{Name: "assessment_months", Columns: []string{"county_code", "month", "version", "workers", "qualified", "vetoed", "total_sum",
		"total_min", "total_max", "computed_at"}},
}

var countyCodeRE = regexp.MustCompile(`^[0-9]{6}$`)

// CheckCountyCode accepts a county-level administrative division code
// (行政区划代码, six digits such as 370114).
func CheckCountyCode(field, code string) error {
	if !countyCodeRE.MatchString(code) {
		return errs.Invalidf(field, "invalid_county_code", "want a six-digit administrative division code such as 370114; got %q", code)
	}
	return nil
}

// SubscriptionName is the province's subscription to the city of code.
func SubscriptionName(code string) string { return "gridd_city_" + code }

// City is one subscribed city as the province sees it.
type City struct {
	CountyCode   string `json:"county_code"`
	Subscription string `json:"subscription"`
	Enabled      bool   `json:"enabled"`
	// Connected: the subscription's apply worker is running (it retries a
	// lost city every few seconds).
	Connected bool `json:"connected"`
	// LastMessage is when the province last heard from the city (nil:
	// never, or not connected since the province started).
	LastMessage *time.Time `json:"last_message"`
	// LagSeconds is the time since LastMessage (nil without one).
	LagSeconds *float64 `json:"lag_seconds"`
	// Grids and Cases are the rows the province holds for the city
	// (current grids; cases).
	Grids int `json:"grids"`
	Cases int `json:"cases"`
	// Bounds is the extent of the city's current grids, [west, south,
	// east, north] in degrees (nil: no grid yet).
	Bounds []float64 `json:"bounds"`
}

// MonthFigures are one county's (or the province's) figures of a month:
// cases reported in it and the month's stored assessment.
type MonthFigures struct {
	Month string `json:"month"`
	// Reported counts the cases reported in the month (merged ones
	// included); Problems the ones not merged; Closed those accepted and
	// closed by the figures' as-of time, ClosedOnTime those of them
	// resolved on site or handled on time; Open those neither closed,
	// rejected nor merged. Same definitions as a city's
	// GET /api/v1/stats/cases.
	Reported     int `json:"reported"`
	Problems     int `json:"problems"`
	Closed       int `json:"closed"`
	ClosedOnTime int `json:"closed_on_time"`
	Open         int `json:"open"`
	Emergency    int `json:"emergency"`
	// Assessment is the month's stored assessment (nil: none yet).
	Assessment *AssessmentFigures `json:"assessment"`
}

// AssessmentFigures aggregate one month's worker scores.
type AssessmentFigures struct {
	Workers   int      `json:"workers"`
	Qualified int      `json:"qualified"`
	Vetoed    int      `json:"vetoed"`
	MeanTotal *float64 `json:"mean_total"`
	MinTotal  *float64 `json:"min_total"`
	MaxTotal  *float64 `json:"max_total"`
	// TotalSum carries the sum for adding counties together.
	TotalSum float64 `json:"total_sum"`
}

// CountyFigures are one county's grids and months.
type CountyFigures struct {
	CountyCode string          `json:"county_code"`
	Grids      int             `json:"grids"`
	AreaKm2    float64         `json:"area_km2"`
	Households int             `json:"households"`
	Population int             `json:"population"`
	Months     []*MonthFigures `json:"months"`
	Total      *MonthFigures   `json:"total"`
}

// Stats are the province's figures of a period: per county and summed.
type Stats struct {
	From     time.Time        `json:"from"`
	To       time.Time        `json:"to"`
	AsOf     time.Time        `json:"as_of"`
	Counties []*CountyFigures `json:"counties"`
	Province *CountyFigures   `json:"province"`
}

// Store reads the province database.
type Store interface {
	// Cities lists the subscriptions with their state and row counts.
	Cities(ctx context.Context) ([]*City, error)
	// CountyFigures returns every county's grids and the case figures of
	// the cases reported in [from, to) by month, closed as of asOf.
	CountyFigures(ctx context.Context, from, to, asOf time.Time) ([]*CountyFigures, error)
	// GridTile is the current grids of every county in tile z/x/y (MVT).
	GridTile(ctx context.Context, z, x, y int) ([]byte, error)
}

// Service answers province readers. Only province-wide readers may read:
// an admin, or a center or viewer without a scope (a scope is a grid
// subtree of one city, which a province user has not).
type Service struct {
	Store Store
	// Hotspots runs the hot-spot analysis over the province's cases.
	Hotspots *analytics.Service
	Now      func() time.Time
}

// check refuses callers that are not province-wide readers.
func check(p *auth.Principal) error {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter, people.RoleViewer); err != nil {
		return err
	}
	if p.GridScope() != nil {
		return errs.Forbiddenf("province figures are for province-wide readers; you are scoped to %s", p.User.ScopeCode)
	}
	return nil
}

// Cities lists the subscribed cities and how far behind each is.
func (s *Service) Cities(ctx context.Context, p *auth.Principal) ([]*City, error) {
	if err := check(p); err != nil {
		return nil, err
	}
	return s.Store.Cities(ctx)
}

// MaxStatsMonths bounds a statistics period.
const MaxStatsMonths = 36

// Stats computes the figures of [from, to) per county and for the province.
func (s *Service) Stats(ctx context.Context, p *auth.Principal, from, to time.Time) (*Stats, error) {
	if err := check(p); err != nil {
		return nil, err
	}
	if !to.After(from) {
		return nil, errs.Invalidf("to", "invalid_range", "to must be after from")
	}
	if to.Sub(from) > MaxStatsMonths*31*24*time.Hour {
		return nil, errs.Invalidf("to", "range_too_long", "at most %d months per request", MaxStatsMonths)
	}
	asOf := s.Now()
	if to.Before(asOf) {
		asOf = to
	}
	cs, err := s.Store.CountyFigures(ctx, from, to, asOf)
	if err != nil {
		return nil, err
	}
	return &Stats{From: from, To: to, AsOf: asOf, Counties: cs, Province: Sum("province", cs)}, nil
}

// Sum adds counties' figures month by month; the mean score is recomputed
// from the summed totals.
func Sum(code string, cs []*CountyFigures) *CountyFigures {
	out := &CountyFigures{CountyCode: code, Months: []*MonthFigures{}, Total: &MonthFigures{Month: "total"}}
	byMonth := map[string]*MonthFigures{}
	for _, c := range cs {
		out.Grids += c.Grids
		out.AreaKm2 += c.AreaKm2
		out.Households += c.Households
		out.Population += c.Population
		for _, m := range c.Months {
			t := byMonth[m.Month]
			if t == nil {
				t = &MonthFigures{Month: m.Month}
				byMonth[m.Month] = t
				out.Months = append(out.Months, t)
			}
			t.add(m)
		}
		out.Total.add(c.Total)
	}
	sortMonths(out.Months)
	for _, m := range append(out.Months, out.Total) {
		m.finish()
	}
	return out
}

func (m *MonthFigures) add(o *MonthFigures) {
	if o == nil {
		return
	}
	m.Reported += o.Reported
	m.Problems += o.Problems
	m.Closed += o.Closed
	m.ClosedOnTime += o.ClosedOnTime
	m.Open += o.Open
	m.Emergency += o.Emergency
	if a := o.Assessment; a != nil {
		if m.Assessment == nil {
			m.Assessment = &AssessmentFigures{}
		}
		t := m.Assessment
		t.Workers += a.Workers
		t.Qualified += a.Qualified
		t.Vetoed += a.Vetoed
		t.TotalSum += a.TotalSum
		t.MinTotal = extreme(t.MinTotal, a.MinTotal, func(x, y float64) bool { return x < y })
		t.MaxTotal = extreme(t.MaxTotal, a.MaxTotal, func(x, y float64) bool { return x > y })
	}
}

// finish computes the mean score of summed assessment figures.
func (m *MonthFigures) finish() {
	if a := m.Assessment; a != nil && a.Workers > 0 {
		v := a.TotalSum / float64(a.Workers)
		a.MeanTotal = &v
	}
}

// Finish completes a county's figures read from the store: its total row
// and the months' means.
func (c *CountyFigures) Finish() {
	sortMonths(c.Months)
	c.Total = &MonthFigures{Month: "total"}
	for _, m := range c.Months {
		c.Total.add(m)
		m.finish()
	}
	c.Total.finish()
}

func extreme(cur, v *float64, better func(x, y float64) bool) *float64 {
	if v == nil {
		return cur
	}
	if cur == nil || better(*v, *cur) {
		x := *v
		return &x
	}
	return cur
}

func sortMonths(ms []*MonthFigures) {
	slices.SortFunc(ms, func(a, b *MonthFigures) int { return strings.Compare(a.Month, b.Month) })
}

// GridTile returns the current grids of every city in tile z/x/y.
func (s *Service) GridTile(ctx context.Context, p *auth.Principal, c tiles.Coord) ([]byte, error) {
	if err := check(p); err != nil {
		return nil, err
	}
	return s.Store.GridTile(ctx, c.Z, c.X, c.Y)
}

// HotspotsOf analyses the hot spots of the province's cases. A province
// query has no grid subtree (grid codes are a city's own).
func (s *Service) HotspotsOf(ctx context.Context, p *auth.Principal, q analytics.HotspotQuery) (*analytics.Hotspots, error) {
	if err := check(p); err != nil {
		return nil, err
	}
	if q.Parent != nil {
		return nil, errs.Invalidf("parent", "parent_not_supported", "province hot spots cover every city; a grid subtree belongs to one city's gridd")
	}
	return s.Hotspots.Hotspots(ctx, p, q)
}
