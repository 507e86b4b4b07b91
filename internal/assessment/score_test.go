package assessment

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/workday"
)

var sh = workday.Shanghai()

func at(day, hour int) time.Time { return time.Date(2026, 10, day, hour, 0, 0, 0, sh) }

func bp(b bool) *bool { return &b }

// knownMonth is October 2026 for three workers of one street, built by
// hand. The expected scores below are worked out from the default rubric
// (P5 §六.(一)); see TestKnownAnswer.
func knownMonth() *Evidence {
	ev := &Evidence{Month: "2026-10"}
	st := "370114001000000"
	ev.Workers = []Worker{
		{ID: 1, Username: "w-excellent", Name: "优秀", Grids: []string{"370114001001001"}, Street: st},
		{ID: 2, Username: "w-average", Name: "一般", Grids: []string{"370114001001003", "370114001001002"}, Street: st},
		{ID: 3, Username: "w-failing", Name: "较差", Grids: []string{"370114001001004"}, Street: st},
	}
	// --- excellent (1)
	ev.Patrols = append(ev.Patrols, PatrolMonth{WorkerID: 1, GridCode: "370114001001001", Days: 31, Coverage: 0.97, CoverageMet: true})
	ev.ShortDays = append(ev.ShortDays, ShortDay{WorkerID: 1, Date: "2026-10-03", PatrolSeconds: 5400})
	for i := range 3 {
		ev.Calls = append(ev.Calls, Call{ID: int64(100 + i), WorkerID: 1, At: at(5+i, 10), Answered: true})
	}
	ev.Surveys = append(ev.Surveys, Survey{ID: 11, WorkerID: 1, Date: "2026-10-20", Households: 20, Satisfied: 19})
	for i := range 41 { // 41 qualified × 5 points = 205
		ev.WorkOrders = append(ev.WorkOrders, WorkOrder{CaseNumber: fmt.Sprintf("2026-10-1%05d", i), WorkerID: 1, Category: "0202", ReportedAt: at(1+i%28, 9), Points: 5, Qualified: bp(true)})
	}
	for i := range 2 { // 2 rejected
		ev.WorkOrders = append(ev.WorkOrders, WorkOrder{CaseNumber: fmt.Sprintf("2026-10-1%05d", 100+i), WorkerID: 1, Category: "0101", ReportedAt: at(2+i, 9), Points: 2, Qualified: bp(false)})
	}
	// --- average (2)
	ev.Patrols = append(ev.Patrols,
		PatrolMonth{WorkerID: 2, GridCode: "370114001001002", Days: 31, Coverage: 0.96, CoverageMet: true},
		PatrolMonth{WorkerID: 2, GridCode: "370114001001003", Days: 31, Coverage: 0.90, CoverageMet: false})
	for _, d := range []string{"2026-10-01", "2026-10-02", "2026-10-11", "2026-10-25"} {
		ev.ShortDays = append(ev.ShortDays, ShortDay{WorkerID: 2, Date: d, PatrolSeconds: 3600})
	}
	for i := range 4 {
		ev.Calls = append(ev.Calls, Call{ID: int64(200 + i), WorkerID: 2, At: at(6+i, 15), Answered: i != 2})
	}
	ev.Findings = append(ev.Findings,
		Finding{ID: 21, WorkerID: 2, Kind: FindingUnfamiliar, Date: "2026-10-09", Note: "说不清网格户数"},
		Finding{ID: 22, WorkerID: 2, Kind: FindingUnresolved, Date: "2026-10-15", Note: "路灯诉求未落实"})
	ev.Surveys = append(ev.Surveys, Survey{ID: 12, WorkerID: 2, Date: "2026-10-21", Households: 20, Satisfied: 11})
	for i := range 60 { // 60 qualified × 3 = 180
		ev.WorkOrders = append(ev.WorkOrders, WorkOrder{CaseNumber: fmt.Sprintf("2026-10-2%05d", i), WorkerID: 2, Category: "0401", ReportedAt: at(1+i%28, 10), Points: 3, Qualified: bp(true)})
	}
	for i := range 15 { // 15 rejected
		ev.WorkOrders = append(ev.WorkOrders, WorkOrder{CaseNumber: fmt.Sprintf("2026-10-2%05d", 100+i), WorkerID: 2, Category: "0401", ReportedAt: at(1+i, 11), Points: 3, Qualified: bp(false)})
	}
	for i := range 2 { // 2 waiting for review
		ev.WorkOrders = append(ev.WorkOrders, WorkOrder{CaseNumber: fmt.Sprintf("2026-10-2%05d", 200+i), WorkerID: 2, Category: "0401", ReportedAt: at(30, 11), Points: 3})
	}
	ev.Missed = append(ev.Missed,
		Missed{CaseNumber: "2026-10-900001", WorkerID: 2, Category: "0202", Source: "hotline_12345", ReportedAt: at(12, 9), GridCode: "370114001001002"},
		Missed{CaseNumber: "2026-10-900002", WorkerID: 2, Category: "0104", Source: "wechat", ReportedAt: at(13, 9), GridCode: "370114001001003"})
	// --- failing (3)
	ev.Patrols = append(ev.Patrols, PatrolMonth{WorkerID: 3, GridCode: "370114001001004", Days: 31, Coverage: 0.40, CoverageMet: false})
	for d := 1; d <= 30; d++ {
		ev.ShortDays = append(ev.ShortDays, ShortDay{WorkerID: 3, Date: fmt.Sprintf("2026-10-%02d", d), PatrolSeconds: 1800})
	}
	ev.Calls = append(ev.Calls, Call{ID: 301, WorkerID: 3, At: at(3, 9), Answered: false}, Call{ID: 302, WorkerID: 3, At: at(17, 16), Answered: false})
	ev.Findings = append(ev.Findings,
		Finding{ID: 31, WorkerID: 3, Kind: FindingUnresolvedSerious, Date: "2026-10-08", Note: "积水诉求拖延引发围堵"},
		Finding{ID: 32, WorkerID: 3, Kind: FindingUnresolved, Date: "2026-10-10"},
		Finding{ID: 33, WorkerID: 3, Kind: FindingUnfamiliar, Date: "2026-10-12"},
		Finding{ID: 34, WorkerID: 3, Kind: FindingUnfamiliar, Date: "2026-10-19"},
		Finding{ID: 35, WorkerID: 3, Kind: FindingLateReport, Date: "2026-10-14", CaseNumber: "2026-10-000777", Note: "火情迟报"},
		Finding{ID: 36, WorkerID: 3, Kind: FindingInspector, Date: "2026-10-22", Note: "长期存在的违章建筑"})
	ev.Surveys = append(ev.Surveys, Survey{ID: 13, WorkerID: 3, Date: "2026-10-23", Households: 20, Satisfied: 8})
	for i := range 30 { // 30 qualified × 2 = 60
		ev.WorkOrders = append(ev.WorkOrders, WorkOrder{CaseNumber: fmt.Sprintf("2026-10-3%05d", i), WorkerID: 3, Category: "0105", ReportedAt: at(1+i%28, 8), Points: 2, Qualified: bp(true)})
	}
	for i := range 10 { // 10 rejected
		ev.WorkOrders = append(ev.WorkOrders, WorkOrder{CaseNumber: fmt.Sprintf("2026-10-3%05d", 100+i), WorkerID: 3, Category: "0105", ReportedAt: at(1+i, 8), Points: 1, Qualified: bp(false)})
	}
	ev.Missed = append(ev.Missed,
		Missed{CaseNumber: "2026-10-900003", WorkerID: 3, Category: "0503", Source: "public", ReportedAt: at(4, 9)},
		Missed{CaseNumber: "2026-10-900004", WorkerID: 3, Category: "0301", Source: "online", ReportedAt: at(5, 9)},
		Missed{CaseNumber: "2026-10-900005", WorkerID: 3, Category: "0801", Source: "hotline_12345", ReportedAt: at(6, 9)})
	// Evidence of someone not assessed this month is ignored.
	ev.Calls = append(ev.Calls, Call{ID: 999, WorkerID: 42, At: at(9, 9)})
	return ev
}

type wantBlock struct {
	score float64
	items map[string]float64 // item key → points
}

// TestKnownAnswer matches a hand-worked month exactly. The arithmetic,
// default rubric (blocks 20/20/40/20, floor 0):
//
// w-excellent:
//
//	attendance 20 − 0.5 (1 short day, 10-03) = 19.5
//	mass work 20 (survey 19/20 = 95% ≥ 60%) = 20
//	information: points 41 × 5 = 205 ≥ 150; pass rate 41/43 = 95.3% ≥ 80%;
//	  205 > 200 → bonus +3 (tiers are not cumulative) = 40 + 3 = 43
//	backtrace 20
//	total 19.5 + 20 + 43 + 20 = 102.5; pay yes; qualified; rank 1
//
// w-average:
//
//	attendance 20 − 5 (grid …003 coverage 90% < rule) − 4 × 0.5 (short days)
//	  − 1 × 0.5 (call 202 unanswered) = 12.5
//	mass work 20 − 2 (1 unfamiliar) − 3 (survey 11/20 = 55% < 60%)
//	  − 2 (1 unresolved request) = 13
//	information: points 60 × 3 = 180 (2 pending orders do not count);
//	  pass rate 60/75 = 80% is not < 80% → 0; 180 > 170 → +2 = 42
//	backtrace: missed 0202 (big class 02 coefficient 2) + 0104 (default 1)
//	  = 20 − 3 = 17
//	total 12.5 + 13 + 42 + 17 = 84.5; pay yes; qualified; rank 2
//
// w-failing:
//
//	attendance 20 − 5 − 30 × 0.5 − 2 × 0.5 = −1 → floor +1 → 0
//	mass work 20 − 2 × 2 (unfamiliar) − 3 (survey 8/20 = 40%) − 2 − 10 = 1
//	information 40 − 10 (60 points < 150, no pay) − 10 (late report,
//	  veto) − 5 (pass rate 30/40 = 75%) = 15
//	backtrace 20 − 10 (inspector) − (2 [0503→05] + 2 [0301→03] + 1 [0801])
//	  = 5
//	total 0 + 1 + 15 + 5 = 21; vetoed; no pay; not qualified; rank 3 (last)
func TestKnownAnswer(t *testing.T) {
	r := DefaultRubric()
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	res := Score(r, knownMonth())
	Annotate(r, "2026-10", res, nil)
	want := map[string]struct {
		total, bonus         float64
		veto, pay, qualified bool
		rank                 int
		blocks               map[string]wantBlock
		grade                string
	}{
		"w-excellent": {102.5, 3, false, true, true, 1, map[string]wantBlock{
			BlockAttendance:  {19.5, map[string]float64{"coverage": 0, "short_days": -0.5, "excused_days": 0, "unanswered_calls": 0}},
			BlockMassWork:    {20, map[string]float64{"unfamiliar": 0, "survey": 0, "unresolved_requests": 0, "unresolved_serious": 0, "visit_coverage": 0}},
			BlockInformation: {43, map[string]float64{"points_below_min": 0, "late_report": 0, "pass_rate": 0, "bonus": 3}},
			BlockBacktrace:   {20, map[string]float64{"inspector_findings": 0, "missed_problems": 0}},
		}, "优秀"},
		"w-average": {84.5, 2, false, true, true, 2, map[string]wantBlock{
			BlockAttendance:  {12.5, map[string]float64{"coverage": -5, "short_days": -2, "excused_days": 0, "unanswered_calls": -0.5}},
			BlockMassWork:    {13, map[string]float64{"unfamiliar": -2, "survey": -3, "unresolved_requests": -2, "unresolved_serious": 0, "visit_coverage": 0}},
			BlockInformation: {42, map[string]float64{"points_below_min": 0, "late_report": 0, "pass_rate": 0, "bonus": 2}},
			BlockBacktrace:   {17, map[string]float64{"inspector_findings": 0, "missed_problems": -3}},
		}, "合格"},
		"w-failing": {21, 0, true, false, false, 3, map[string]wantBlock{
			BlockAttendance:  {0, map[string]float64{"coverage": -5, "short_days": -15, "excused_days": 0, "unanswered_calls": -1, "floor": 1}},
			BlockMassWork:    {1, map[string]float64{"unfamiliar": -4, "survey": -3, "unresolved_requests": -2, "unresolved_serious": -10, "visit_coverage": 0}},
			BlockInformation: {15, map[string]float64{"points_below_min": -10, "late_report": -10, "pass_rate": -5, "bonus": 0}},
			BlockBacktrace:   {5, map[string]float64{"inspector_findings": -10, "missed_problems": -5}},
		}, "不合格"},
	}
	if len(res) != 3 {
		t.Fatalf("%d results, want 3", len(res))
	}
	for _, got := range res {
		w, ok := want[got.Worker.Username]
		if !ok {
			t.Fatalf("unexpected worker %s", got.Worker.Username)
		}
		name := got.Worker.Username
		if got.Total != w.total || got.Bonus != w.bonus || got.Vetoed != w.veto || got.PayEligible != w.pay || got.Qualified != w.qualified || got.Rank != w.rank {
			t.Errorf("%s: total %v bonus %v veto %v pay %v qualified %v rank %d; want %v %v %v %v %v %d",
				name, got.Total, got.Bonus, got.Vetoed, got.PayEligible, got.Qualified, got.Rank, w.total, w.bonus, w.veto, w.pay, w.qualified, w.rank)
		}
		if got.Quarter == nil || got.Quarter.Grade != w.grade {
			t.Errorf("%s: quarter %+v, want grade %s", name, got.Quarter, w.grade)
		}
		if len(got.Blocks) != 4 {
			t.Fatalf("%s: %d blocks", name, len(got.Blocks))
		}
		for _, b := range got.Blocks {
			wb := w.blocks[b.Key]
			if b.Score != wb.score {
				t.Errorf("%s %s: score %v, want %v", name, b.Key, b.Score, wb.score)
			}
			if len(b.Items) != len(wb.items) {
				t.Errorf("%s %s: %d items, want %d: %+v", name, b.Key, len(b.Items), len(wb.items), b.Items)
			}
			for _, it := range b.Items {
				if wp, ok := wb.items[it.Key]; !ok || wp != it.Points {
					t.Errorf("%s %s.%s: %v points, want %v (%s)", name, b.Key, it.Key, it.Points, wp, it.Detail)
				}
			}
		}
	}
	// The evidence behind the items: dates, call ids, case numbers.
	byName := map[string]*Result{}
	for _, r := range res {
		byName[r.Worker.Username] = r
	}
	avg := byName["w-average"]
	if ev := item(avg, BlockAttendance, "unanswered_calls").Evidence; len(ev) != 1 || ev[0].Kind != "call" || ev[0].ID != "202" {
		t.Errorf("average unanswered calls evidence %+v, want call 202", ev)
	}
	if ev := item(avg, BlockAttendance, "short_days").Evidence; len(ev) != 4 || ev[0].ID != "2026-10-01" || ev[3].ID != "2026-10-25" {
		t.Errorf("average short days evidence %+v", ev)
	}
	if ev := item(avg, BlockAttendance, "coverage").Evidence; len(ev) != 1 || ev[0].ID != "370114001001003" {
		t.Errorf("average coverage evidence %+v, want grid …003", ev)
	}
	if ev := item(avg, BlockBacktrace, "missed_problems").Evidence; len(ev) != 2 || ev[0].ID != "2026-10-900001" || ev[1].ID != "2026-10-900002" {
		t.Errorf("average missed evidence %+v", ev)
	}
	if f := avg.Figures; f.Points != 180 || f.OrdersPending != 2 || f.PassRate == nil || *f.PassRate != 0.8 {
		t.Errorf("average figures %+v", f)
	}
	fail := byName["w-failing"]
	if ev := item(fail, BlockInformation, "late_report").Evidence; len(ev) != 1 || ev[0].ID != "35" {
		t.Errorf("failing late report evidence %+v", ev)
	}
	if ev := item(fail, BlockInformation, "pass_rate").Evidence; len(ev) != 10 || ev[0].Kind != "case" {
		t.Errorf("failing pass-rate evidence: %d refs, want the 10 rejected cases", len(ev))
	}
	if !fail.Last || byName["w-excellent"].Last {
		t.Errorf("last place: failing %v excellent %v", fail.Last, byName["w-excellent"].Last)
	}
}

func item(r *Result, block, key string) Item {
	for _, b := range r.Blocks {
		if b.Key == block {
			for _, it := range b.Items {
				if it.Key == key {
					return it
				}
			}
		}
	}
	return Item{}
}

// TestFlagsAndQuarter: last place two months running and unqualified three
// months running, from the history of earlier months.
func TestFlagsAndQuarter(t *testing.T) {
	r := DefaultRubric()
	aug := Score(r, knownMonth())
	Annotate(r, "2026-08", aug, nil)
	sep := Score(r, knownMonth())
	Annotate(r, "2026-09", sep, map[string][]*Result{"2026-08": aug})
	nov := Score(r, knownMonth())
	Annotate(r, "2026-11", nov, map[string][]*Result{"2026-09": sep, "2026-10": sep})
	for _, res := range nov {
		switch res.Worker.Username {
		case "w-failing":
			if !reflect.DeepEqual(res.Flags, []string{FlagLastTwoMonths, FlagUnqualifiedThreeMonths}) {
				t.Errorf("failing flags %v", res.Flags)
			}
			if res.Quarter.Grade != "不合格" || len(res.Quarter.Months) != 2 {
				t.Errorf("failing quarter %+v", res.Quarter)
			}
		case "w-average":
			if len(res.Flags) != 0 {
				t.Errorf("average flags %v", res.Flags)
			}
			// Q4: October 84.5 and November 84.5 → mean 84.5 → 合格.
			if res.Quarter.Quarter != "2026-Q4" || res.Quarter.Mean != 84.5 || res.Quarter.Grade != "合格" || res.Quarter.Complete {
				t.Errorf("average quarter %+v", res.Quarter)
			}
		}
	}
	// September alone: the failing worker is last twice (Aug, Sep) but only
	// two months unqualified.
	for _, res := range sep {
		if res.Worker.Username == "w-failing" && !reflect.DeepEqual(res.Flags, []string{FlagLastTwoMonths}) {
			t.Errorf("september failing flags %v", res.Flags)
		}
	}
}

// TestNoPatrolResults: a worker without stored patrol results is not
// scored on the patrol items, and the result says so.
func TestNoPatrolResults(t *testing.T) {
	ev := &Evidence{Month: "2026-10", Workers: []Worker{{ID: 7, Username: "w7"}}}
	res := Score(DefaultRubric(), ev)
	if len(res[0].Missing) != 1 || res[0].Missing[0] != "patrol" || res[0].Blocks[0].Score != 20 {
		t.Errorf("missing %v attendance %v", res[0].Missing, res[0].Blocks[0].Score)
	}
	// And no work orders at all: −10 and no pay.
	if res[0].Blocks[2].Score != 30 || res[0].PayEligible {
		t.Errorf("information %v pay %v", res[0].Blocks[2].Score, res[0].PayEligible)
	}
}

// randomMonth draws a month of evidence for n workers.
func randomMonth(rng *rand.Rand, n int) *Evidence {
	ev := &Evidence{Month: "2026-10"}
	for w := range n {
		id := int64(w + 1)
		ev.Workers = append(ev.Workers, Worker{ID: id, Username: fmt.Sprintf("w%03d", w), Street: fmt.Sprintf("s%d", w%3), Grids: []string{fmt.Sprintf("g%d", w)}})
		if rng.IntN(10) > 0 {
			cov := rng.Float64()
			ev.Patrols = append(ev.Patrols, PatrolMonth{WorkerID: id, GridCode: fmt.Sprintf("g%d", w), Days: 31, Coverage: cov, CoverageMet: cov > 0.5})
			for d := 1; d <= 31; d++ {
				if rng.IntN(4) == 0 {
					ev.ShortDays = append(ev.ShortDays, ShortDay{WorkerID: id, Date: fmt.Sprintf("2026-10-%02d", d), PatrolSeconds: rng.Float64() * 7000})
				}
			}
		}
		for range rng.IntN(6) {
			ev.Calls = append(ev.Calls, Call{ID: int64(len(ev.Calls) + 1), WorkerID: id, At: at(1+rng.IntN(30), rng.IntN(24)), Answered: rng.IntN(3) > 0})
		}
		for range rng.IntN(2) {
			h := 10 + rng.IntN(15)
			ev.Surveys = append(ev.Surveys, Survey{ID: int64(len(ev.Surveys) + 1), WorkerID: id, Date: "2026-10-15", Households: h, Satisfied: rng.IntN(h + 1)})
		}
		for range rng.IntN(4) {
			ev.Findings = append(ev.Findings, Finding{ID: int64(len(ev.Findings) + 1), WorkerID: id, Kind: FindingKinds[rng.IntN(len(FindingKinds))], Date: fmt.Sprintf("2026-10-%02d", 1+rng.IntN(30))})
		}
		for range rng.IntN(90) {
			var q *bool
			if k := rng.IntN(10); k < 8 {
				q = bp(true)
			} else if k == 8 {
				q = bp(false)
			}
			ev.WorkOrders = append(ev.WorkOrders, WorkOrder{CaseNumber: fmt.Sprintf("2026-10-%06d", len(ev.WorkOrders)+1), WorkerID: id,
				Category: "0101", ReportedAt: at(1+rng.IntN(30), 9), Points: float64(1+rng.IntN(5)) + 0.25*float64(rng.IntN(4)), Qualified: q})
		}
		for range rng.IntN(4) {
			cats := []string{"0202", "0301", "0104", "0801"}
			ev.Missed = append(ev.Missed, Missed{CaseNumber: fmt.Sprintf("2026-10-9%05d", len(ev.Missed)+1), WorkerID: id, Category: cats[rng.IntN(4)], Source: "wechat", ReportedAt: at(1+rng.IntN(30), 9)})
		}
	}
	return ev
}

func shuffled(rng *rand.Rand, ev *Evidence) *Evidence {
	c := *ev
	sh := func(n int, swap func(i, j int)) { rng.Shuffle(n, swap) }
	c.Workers = append([]Worker(nil), ev.Workers...)
	sh(len(c.Workers), func(i, j int) { c.Workers[i], c.Workers[j] = c.Workers[j], c.Workers[i] })
	c.Patrols = append([]PatrolMonth(nil), ev.Patrols...)
	sh(len(c.Patrols), func(i, j int) { c.Patrols[i], c.Patrols[j] = c.Patrols[j], c.Patrols[i] })
	c.ShortDays = append([]ShortDay(nil), ev.ShortDays...)
	sh(len(c.ShortDays), func(i, j int) { c.ShortDays[i], c.ShortDays[j] = c.ShortDays[j], c.ShortDays[i] })
	c.Calls = append([]Call(nil), ev.Calls...)
	sh(len(c.Calls), func(i, j int) { c.Calls[i], c.Calls[j] = c.Calls[j], c.Calls[i] })
	c.Surveys = append([]Survey(nil), ev.Surveys...)
	sh(len(c.Surveys), func(i, j int) { c.Surveys[i], c.Surveys[j] = c.Surveys[j], c.Surveys[i] })
	c.Findings = append([]Finding(nil), ev.Findings...)
	sh(len(c.Findings), func(i, j int) { c.Findings[i], c.Findings[j] = c.Findings[j], c.Findings[i] })
	c.WorkOrders = append([]WorkOrder(nil), ev.WorkOrders...)
	sh(len(c.WorkOrders), func(i, j int) { c.WorkOrders[i], c.WorkOrders[j] = c.WorkOrders[j], c.WorkOrders[i] })
	c.Missed = append([]Missed(nil), ev.Missed...)
	sh(len(c.Missed), func(i, j int) { c.Missed[i], c.Missed[j] = c.Missed[j], c.Missed[i] })
	return &c
}

func encode(t *testing.T, rs []*Result) string {
	t.Helper()
	b, err := json.Marshal(rs)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestProperties: total = Σ block maxima + Σ item points (floors and
// bonuses are items), every block within [floor, max + bonus], input
// order does not matter, and a rerun gives the identical result.
func TestProperties(t *testing.T) {
	r := DefaultRubric()
	rng := rand.New(rand.NewPCG(20261125, 7))
	for round := range 40 {
		ev := randomMonth(rng, 12)
		base := Score(r, ev)
		Annotate(r, ev.Month, base, nil)
		want := encode(t, base)
		for _, res := range base {
			sum := 0.0
			for _, b := range res.Blocks {
				bs := b.Max
				for _, it := range b.Items {
					sum += it.Points
					bs += it.Points
				}
				sum += b.Max
				if math.Abs(bs-b.Score) > 1e-9 {
					t.Fatalf("round %d %s %s: score %v ≠ max + items %v", round, res.Worker.Username, b.Key, b.Score, bs)
				}
				if b.Score < 0 || b.Score > b.Max+res.Bonus {
					t.Fatalf("round %d %s %s: score %v outside [0, %v]", round, res.Worker.Username, b.Key, b.Score, b.Max+res.Bonus)
				}
			}
			if math.Abs(sum-res.Total) > 1e-9 {
				t.Fatalf("round %d %s: total %v ≠ Σ max + Σ items %v", round, res.Worker.Username, res.Total, sum)
			}
			if res.Vetoed && (res.PayEligible || res.Qualified) {
				t.Fatalf("round %d %s: vetoed but pay %v qualified %v", round, res.Worker.Username, res.PayEligible, res.Qualified)
			}
		}
		for k := range 3 {
			again := Score(r, shuffled(rng, ev))
			Annotate(r, ev.Month, again, nil)
			if got := encode(t, again); got != want {
				t.Fatalf("round %d shuffle %d: result differs from the unshuffled one", round, k)
			}
		}
		rerun := Score(r, ev)
		Annotate(r, ev.Month, rerun, nil)
		if encode(t, rerun) != want {
			t.Fatalf("round %d: rerun differs", round)
		}
	}
}

// TestRubricValidate names each bad field.
func TestRubricValidate(t *testing.T) {
	r := DefaultRubric()
	r.Version = ""
	r.Attendance.Max = 0
	r.MassWork.SurveyMinRate = 1.5
	r.Information.Bonus = []BonusTier{{Above: 200, Bonus: 3}, {Above: 170, Bonus: 2}}
	r.Backtrace.Sources = []string{"worker_app"}
	r.Backtrace.Coefficients = map[string]float64{"abc": 1}
	r.Grades[1].Min = 95
	err := r.Validate()
	if err == nil {
		t.Fatal("invalid rubric accepted")
	}
	got := map[string]bool{}
	if e, ok := asErr(err); ok {
		for _, f := range e {
			got[f] = true
		}
	}
	for _, f := range []string{"version", "attendance.max", "mass_work.survey_min_rate", "information.bonus[1]",
		"backtrace.sources[0]", "backtrace.coefficients.abc", "grades[1].min"} {
		if !got[f] {
			t.Errorf("field %s not named; got %v", f, got)
		}
	}
	// Round trip through JSON, unknown fields refused.
	doc, _ := json.Marshal(DefaultRubric())
	if _, err := ParseRubric(doc); err != nil {
		t.Fatalf("default rubric does not parse: %v", err)
	}
	if _, err := ParseRubric([]byte(`{"version":"x","bogus":1}`)); err == nil {
		t.Fatal("unknown field accepted")
	}
}

func asErr(err error) ([]string, bool) {
	e, ok := errs.As(err)
	if !ok {
		return nil, false
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out, true
}
