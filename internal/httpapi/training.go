package httpapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/training"
)

// registerTrainingRoutes:
//
//	POST /api/v1/training/sessions          (Idempotency-Key) {"title","date","hours","pass_mark","scope","attendees":[{"username","attended","score"}]}
//	GET  /api/v1/training/sessions?from=&to=  sessions in scope with attendance and scores
//	GET  /api/v1/training/retrain             who must retrain (latest session missed or failed)
//	GET  /api/v1/training/gaps?month=YYYY-MM  workers with fewer than two sessions in the month; grids' weeks without a weekly meeting
//	POST /api/v1/meetings                     (Idempotency-Key) {"kind":"party_group|grid|dispatch","date","grid","title","minutes","attendees":[username]}
//	GET  /api/v1/meetings?kind=&from=&to=     meetings in scope, newest first
//	GET  /api/v1/meetings/{id}                one meeting with attendees and minutes
//	GET  /api/v1/meetings/{id}/pack           the meeting with last week's case figures (and the retrain list for the center)
//	GET  /api/v1/me/training                  the caller's sessions (attendance, hours, score), hours, whether it must retrain, its meetings
func (s *Server) registerTrainingRoutes(r chi.Router) {
	if s.Training == nil {
		return
	}
	r.Post("/training/sessions", s.h(s.createSession))
	r.Get("/training/sessions", s.h(s.listSessions))
	r.Get("/training/retrain", s.h(s.retrainList))
	r.Get("/training/gaps", s.h(s.trainingGaps))
	r.Post("/meetings", s.h(s.createMeeting))
	r.Get("/meetings", s.h(s.listMeetings))
	r.Get("/meetings/{id}", s.h(s.getMeeting))
	r.Get("/meetings/{id}/pack", s.h(s.meetingPack))
	r.Get("/me/training", s.h(s.myTraining))
}

type sessionJSON struct {
	ID        int64               `json:"id"`
	Title     string              `json:"title"`
	Date      string              `json:"date"`
	Hours     float64             `json:"hours"`
	PassMark  float64             `json:"pass_mark"`
	Scope     string              `json:"scope"`
	Attendees []training.Attendee `json:"attendees"`
	Passed    []string            `json:"passed"`
	CreatedAt time.Time           `json:"created_at"`
}

func toSessionJSON(se *training.Session) sessionJSON {
	out := sessionJSON{ID: se.ID, Title: se.Title, Date: se.Date.Format("2006-01-02"), Hours: se.Hours, PassMark: se.PassMark,
		Scope: se.ScopeCode, Attendees: se.Attendees, Passed: []string{}, CreatedAt: se.CreatedAt}
	for _, a := range se.Attendees {
		if se.Passed(a) {
			out.Passed = append(out.Passed, a.Username)
		}
	}
	return out
}

type meetingJSON struct {
	ID        int64               `json:"id"`
	Kind      string              `json:"kind"`
	Date      string              `json:"date"`
	Grid      string              `json:"grid"`
	Title     string              `json:"title"`
	Minutes   string              `json:"minutes"`
	Attendees []training.Attendee `json:"attendees"`
	CreatedAt time.Time           `json:"created_at"`
}

func toMeetingJSON(m *training.Meeting) meetingJSON {
	at := m.Attendees
	if at == nil {
		at = []training.Attendee{}
	}
	return meetingJSON{ID: m.ID, Kind: m.Kind, Date: m.Date.Format("2006-01-02"), Grid: m.GridCode, Title: m.Title, Minutes: m.Minutes,
		Attendees: at, CreatedAt: m.CreatedAt}
}

func (s *Server) createSession(w http.ResponseWriter, r *http.Request) error {
	var in training.SessionIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	se, replayed, err := s.Training.RecordSession(r.Context(), principal(r), in, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, createdStatus(w, replayed), "application/json", toSessionJSON(se))
	return nil
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) error {
	from, err := queryCivilDate(r, "from")
	if err != nil {
		return err
	}
	to, err := queryCivilDate(r, "to")
	if err != nil {
		return err
	}
	ss, err := s.Training.Sessions(r.Context(), principal(r), from, to)
	if err != nil {
		return err
	}
	out := make([]sessionJSON, 0, len(ss))
	for _, se := range ss {
		out = append(out, toSessionJSON(se))
	}
	return s.ok(w, r, map[string]any{"sessions": out})
}

func (s *Server) retrainList(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Training.RetrainList(r.Context(), principal(r))
	if err != nil {
		return err
	}
	return s.ok(w, r, map[string]any{"retrain": list})
}

func (s *Server) trainingGaps(w http.ResponseWriter, r *http.Request) error {
	g, err := s.Training.Gaps(r.Context(), principal(r), r.URL.Query().Get("month"))
	if err != nil {
		return err
	}
	return s.ok(w, r, struct {
		Month               string                        `json:"month"`
		Complete            bool                          `json:"complete"`
		SessionsWanted      int                           `json:"sessions_wanted"`
		WorkersShort        []training.WorkerShort        `json:"workers_short"`
		WeeksWithoutMeeting []training.WeekWithoutMeeting `json:"weeks_without_meeting"`
	}{g.Month, g.Complete, training.SessionsPerMonth, g.WorkersShort, g.WeeksWithoutMeeting})
}

func (s *Server) createMeeting(w http.ResponseWriter, r *http.Request) error {
	var in training.MeetingIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	m, replayed, err := s.Training.RecordMeeting(r.Context(), principal(r), in, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/meetings/%d", m.ID))
	s.writeJSON(w, r, createdStatus(w, replayed), "application/json", toMeetingJSON(m))
	return nil
}

func (s *Server) listMeetings(w http.ResponseWriter, r *http.Request) error {
	from, err := queryCivilDate(r, "from")
	if err != nil {
		return err
	}
	to, err := queryCivilDate(r, "to")
	if err != nil {
		return err
	}
	ms, err := s.Training.Meetings(r.Context(), principal(r), r.URL.Query().Get("kind"), from, to)
	if err != nil {
		return err
	}
	out := make([]meetingJSON, 0, len(ms))
	for _, m := range ms {
		out = append(out, toMeetingJSON(m))
	}
	return s.ok(w, r, map[string]any{"meetings": out})
}

func (s *Server) getMeeting(w http.ResponseWriter, r *http.Request) error {
	id, err := positiveID(r, "meeting")
	if err != nil {
		return err
	}
	m, err := s.Training.Meeting(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	return s.ok(w, r, toMeetingJSON(m))
}

func (s *Server) meetingPack(w http.ResponseWriter, r *http.Request) error {
	id, err := positiveID(r, "meeting")
	if err != nil {
		return err
	}
	pk, err := s.Training.MeetingPack(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	retrain := pk.Retrain
	if retrain == nil {
		retrain = []training.Retrain{}
	}
	return s.ok(w, r, struct {
		Meeting   meetingJSON        `json:"meeting"`
		Week      string             `json:"week"`
		From      time.Time          `json:"from"`
		To        time.Time          `json:"to"`
		ByUnit    *casework.Stats    `json:"by_unit"`
		ByVillage *casework.Stats    `json:"by_village"`
		Retrain   []training.Retrain `json:"retrain"`
		PackURL   string             `json:"pack_url"`
	}{toMeetingJSON(pk.Meeting), pk.Week, pk.From, pk.To, pk.ByUnit, pk.ByVillage, retrain, "/api/v1/reports/weekly?week=" + pk.Week})
}

type myMeetingJSON struct {
	meetingJSON
	Attended bool `json:"attended"`
}

func (s *Server) myTraining(w http.ResponseWriter, r *http.Request) error {
	mine, err := s.Training.Mine(r.Context(), principal(r))
	if err != nil {
		return err
	}
	ms := make([]myMeetingJSON, 0, len(mine.Meetings))
	for _, m := range mine.Meetings {
		ms = append(ms, myMeetingJSON{toMeetingJSON(m.Meeting), m.Attended})
	}
	return s.ok(w, r, struct {
		Sessions      []training.MySession `json:"sessions"`
		HoursYear     float64              `json:"hours_year"`
		HoursQuarter  float64              `json:"hours_quarter"`
		SessionsMonth int                  `json:"sessions_month"`
		Retrain       *training.Retrain    `json:"retrain"`
		Meetings      []myMeetingJSON      `json:"meetings"`
	}{mine.Sessions, mine.HoursYear, mine.HoursQuarter, mine.SessionsMonth, mine.Retrain, ms})
}
