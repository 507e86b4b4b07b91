package httpapi

import (
	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/attendance"
	"github.com/gridd/gridd/internal/forces"
	"github.com/gridd/gridd/internal/inspection"
	"github.com/gridd/gridd/internal/training"
)

// DutyDeps are the field-duty services (issue 18); a nil one serves no routes.
type DutyDeps struct {
	// Inspections keeps checklist templates and inspections.
	Inspections *inspection.Service
	// Rota keeps the community police rota.
	Rota *forces.Service
	// Training keeps training sessions and meetings.
	Training *training.Service
	// Leave records leave and rest days and their approval.
	Leave *attendance.Service
}

// registerDutyRoutes registers the field-duty routes (each file lists its own).
func (s *Server) registerDutyRoutes(r chi.Router) {
	s.registerInspectionRoutes(r)
	s.registerRotaRoutes(r)
	s.registerTrainingRoutes(r)
	s.registerLeaveRoutes(r)
}
