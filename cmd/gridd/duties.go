package main

import (
	"context"
	"strconv"
	"time"

	"github.com/gridd/gridd/internal/assessment"
	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/gridd/gridd/internal/registers"
	"github.com/gridd/gridd/internal/responsibility"
	"github.com/gridd/gridd/internal/visits"
	"github.com/gridd/gridd/internal/worklog"
	"github.com/paulmach/orb"
)

// dutyParts are the field duties of issue 18: who answers for which
// household or place, visits on a schedule, the daily grid log.
type dutyParts struct {
	responsibility *responsibility.Service
	visits         *visits.Service
	worklog        *worklog.Service
}

// openDuties wires the field duties; it runs after the registers, patrols
// and assessments are wired.
func (a *app) openDuties() {
	now := a.db.Now
	tree := func() auth.Hierarchy { return a.locator.Tree() }
	a.responsibility = &responsibility.Service{Store: postgis.NewResponsibilityStore(a.db), People: a.people, Tree: tree, Now: now,
		Locate: func(ctx context.Context, pt orb.Point) (string, string, error) {
			res, err := a.locator.Locate(ctx, []orb.Point{pt}, nil)
			if err != nil || len(res) == 0 {
				return "", "", err
			}
			best, code, name := -1, "", ""
			for _, h := range res[0].Chain {
				if h.Level > best {
					best, code, name = h.Level, h.Code, h.Name
				}
			}
			return code, name, nil
		},
		GridName: func(ctx context.Context, code string) (string, error) {
			g, err := a.grids.FindGridByCode(ctx, code, nil)
			if err != nil {
				return "", err
			}
			return g.Name, nil
		}}
	a.visits = &visits.Service{Store: postgis.NewVisitStore(a.db, a.keyPersonStore), People: a.people, Tree: tree, Now: now,
		KeyPersonLedger: func(ctx context.Context, keyPersonID, visitorID int64, day time.Time, notes string) error {
			if a.keyPersons == nil {
				return nil
			}
			// The ledger entry is the visitor's own (its access checked again
			// by the key-person service).
			u, err := a.people.FindUserByID(ctx, visitorID)
			if err != nil {
				return err
			}
			p, err := a.auth.PrincipalFor(ctx, u)
			if err != nil {
				return err
			}
			y, m, d := day.Date()
			return a.keyPersons.AddVisit(ctx, p, &registers.Visit{KeyPersonID: keyPersonID, VisitorID: visitorID,
				VisitedOn: time.Date(y, m, d, 0, 0, 0, 0, time.UTC), Notes: notes})
		}}
	a.worklog = &worklog.Service{Store: postgis.NewWorklogStore(a.db, a.keyPersonStore), People: a.people, Tree: tree, Now: now,
		Patrol: func(ctx context.Context, userID int64, day time.Time) (*worklog.Patrol, error) {
			rep, err := a.patrols.Daily(ctx, userID, day)
			if err != nil {
				return nil, err
			}
			return &worklog.Patrol{Seconds: rep.Day.PatrolSeconds, DistanceM: rep.Day.DistanceM, Patrolled: rep.Day.Patrolled,
				MinSeconds: a.patrols.Rules.MinDaily.Seconds()}, nil
		}}
	// The inspections of the day join the log once that duty stores them:
	// set a.worklog.Inspections there.
	if a.assessments != nil {
		a.assessments.VisitCoverage = func(ctx context.Context, p assessment.Period) ([]assessment.VisitCoverage, error) {
			cs, err := a.visits.MonthCoverage(ctx, p.From, p.To)
			if err != nil {
				return nil, err
			}
			out := make([]assessment.VisitCoverage, len(cs))
			for i, c := range cs {
				refs := make([]assessment.Ref, len(c.Unvisited))
				for j, t := range c.Unvisited {
					refs[j] = assessment.Ref{Kind: t.Kind, ID: strconv.FormatInt(t.ID, 10), Note: t.Name}
				}
				out[i] = assessment.VisitCoverage{WorkerID: c.WorkerID, Assigned: c.Assigned, Visited: c.Visited, Unvisited: refs}
			}
			return out, nil
		}
	}
}
