package main

import (
	"github.com/gridd/gridd/internal/attendance"
	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/forces"
	"github.com/gridd/gridd/internal/httpapi"
	"github.com/gridd/gridd/internal/inspection"
	"github.com/gridd/gridd/internal/msg"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/gridd/gridd/internal/training"
	"github.com/gridd/gridd/internal/workday"
)

// forceParts are the field-duty services of the other grid forces (issue 18): inspections, police rota, training and meetings, leave.
type forceParts struct {
	inspections *inspection.Service
	rota        *forces.Service
	training    *training.Service
	leave       *attendance.Service
}

// openForces wires the field-duty services on a's store and case loop.
func (a *app) openForces() {
	now := a.db.Now
	a.inspections = &inspection.Service{Store: postgis.NewInspectionStore(a.db), Cases: a.cases,
		Tree: func() inspection.Hierarchy { return a.locator.Tree() }, Messages: msg.Must(), Now: now}
	a.rota = &forces.Service{Store: postgis.NewRotaStore(a.db), People: a.people,
		Tree: func() forces.Grids { return a.locator.Tree() }, Norms: forces.DefaultNorms(), Now: now}
	// A police officer's report says whether it was made on a rostered shift.
	a.cases.Shifts = a.rota
	a.training = &training.Service{Store: postgis.NewTrainingStore(a.db), People: a.people, Cases: a.cases,
		Tree: func() auth.Hierarchy { return a.locator.Tree() }, Loc: workday.Shanghai(), Now: now}
	a.leave = &attendance.Service{Store: postgis.NewLeaveStore(a.db), People: a.people, Now: now}
	// The assessment reads the working-day calendar when its rubric counts
	// working days only.
	a.assessments.Calendar = a.cases.Calendar
}

func (a *app) forceDeps() httpapi.DutyDeps {
	return httpapi.DutyDeps{Inspections: a.inspections, Rota: a.rota, Training: a.training, Leave: a.leave}
}
