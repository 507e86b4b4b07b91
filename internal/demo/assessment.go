package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/gridd/gridd/internal/assessment"
)

// AssessmentStores is implemented by a layer store that can hand out the
// assessment store (postgis.LayerStore does); Load then adds the demo
// month's supervisory calls, surveys and findings.
type AssessmentStores interface {
	AssessmentStore() assessment.Store
}

// AssessmentRecords are the demo month's records the center enters, per
// worker username.
type AssessmentRecords struct {
	Calls    map[string][]assessment.Call
	Surveys  map[string][]assessment.Survey
	Findings map[string][]assessment.Finding
}

// DemoAssessment generates the records of month (the demo's patrol month)
// for every grid worker of town, so that the month assesses to a spread:
// three calls each (one worker hard to reach), one survey of 20 households
// each (a few below 60% satisfied), and a handful of findings — spot
// checks, unresolved requests (one with serious impact), one late report
// (a vetoed month) and two inspectors' findings. Deterministic for equal
// seeds and months.
func DemoAssessment(town *Town, month time.Time, seed int64) AssessmentRecords {
	loc := DemoPatrolMonth.Location()
	month = time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, loc)
	days := int(month.AddDate(0, 1, 0).Sub(month).Hours() / 24)
	var workers []string
	for _, p := range town.People {
		if p.Role != RoleWorker {
			continue
		}
		for _, a := range p.Assignments {
			if a.GridRole == GridRoleWorker {
				workers = append(workers, p.Username)
				break
			}
		}
	}
	sort.Strings(workers)
	out := AssessmentRecords{Calls: map[string][]assessment.Call{}, Surveys: map[string][]assessment.Survey{}, Findings: map[string][]assessment.Finding{}}
	day := func(rng *rand.Rand) time.Time { return month.AddDate(0, 0, rng.IntN(days-2)+1) }
	date := func(rng *rand.Rand) string { return day(rng).Format("2006-01-02") }
	finding := func(u string, rng *rand.Rand, kind assessment.FindingKind, note string) {
		out.Findings[u] = append(out.Findings[u], assessment.Finding{Kind: kind, Date: date(rng), Note: note})
	}
	for i, u := range workers {
		rng := rand.New(rand.NewPCG(uint64(seed), uint64(i)*0x51ed27+uint64(month.Unix())))
		for k := range 3 {
			at := day(rng).Add(time.Duration(9+rng.IntN(8))*time.Hour + time.Duration(rng.IntN(60))*time.Minute)
			answered := rng.IntN(10) != 0
			if i == 7 {
				answered = k == 0
			}
			note := "电话督查"
			if !answered {
				note = "电话督查，未接听"
			}
			out.Calls[u] = append(out.Calls[u], assessment.Call{At: at, Answered: answered, Note: note})
		}
		satisfied := 13 + rng.IntN(8)
		if i%7 == 0 {
			satisfied = 9 + rng.IntN(3)
		}
		out.Surveys[u] = append(out.Surveys[u], assessment.Survey{Date: date(rng), Households: 20, Satisfied: satisfied, Note: "随机抽取20户入户测评"})
		if i%8 == 3 {
			finding(u, rng, assessment.FindingUnfamiliar, "抽查时说不清网格内户数和重点人员情况")
		}
		if i%10 == 5 {
			finding(u, rng, assessment.FindingUnresolved, "群众反映的路灯损坏诉求未落实")
		}
		switch i {
		case 2:
			finding(u, rng, assessment.FindingLateReport, "辖区火情未及时上报，贻误处置")
		case 6:
			finding(u, rng, assessment.FindingInspector, "暗访发现长期存在的违章搭建未上报")
		case 11:
			finding(u, rng, assessment.FindingInspector, "暗访发现废弃厂房安全隐患未上报")
		case 12:
			finding(u, rng, assessment.FindingUnresolvedSerious, "积水诉求久拖未决，引发群众聚集")
		}
	}
	return out
}

// loadAssessment writes the demo month's assessment records when the layer
// store can take them; the center login enters them.
func loadAssessment(ctx context.Context, town *Town, st Stores, opts LoadOptions) error {
	as, ok := st.Layers.(AssessmentStores)
	if !ok {
		return nil
	}
	store := as.AssessmentStore()
	center, err := st.People.FindUserByUsername(ctx, "center")
	if err != nil {
		return fmt.Errorf("demo assessment: %w", err)
	}
	recs := DemoAssessment(town, PatrolMonth(opts.At), 1)
	users := make([]string, 0, len(recs.Surveys))
	for u := range recs.Surveys {
		users = append(users, u)
	}
	sort.Strings(users)
	for _, u := range users {
		w, err := st.People.FindUserByUsername(ctx, u)
		if err != nil {
			return fmt.Errorf("demo assessment of %s: %w", u, err)
		}
		for _, c := range recs.Calls[u] {
			c.WorkerID = w.ID
			if err := store.CreateCall(ctx, &c, center.ID); err != nil {
				return err
			}
		}
		for _, s := range recs.Surveys[u] {
			s.WorkerID = w.ID
			if err := store.CreateSurvey(ctx, &s, center.ID); err != nil {
				return err
			}
		}
		for _, f := range recs.Findings[u] {
			f.WorkerID = w.ID
			if err := store.CreateFinding(ctx, &f, center.ID); err != nil {
				return err
			}
		}
	}
	return nil
}
