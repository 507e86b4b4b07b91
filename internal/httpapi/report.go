package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/msg"
	"github.com/gridd/gridd/internal/report"
	"github.com/gridd/gridd/internal/workday"
)

// registerReportRoutes:
//
//	GET /api/v1/reports/weekly?week=YYYY-Www[&format=html|xlsx]    the weekly meeting pack (default: a printable HTML page)
//	GET /api/v1/reports/monthly?month=YYYY-MM[&format=html|xlsx]   the monthly meeting pack
//	GET /api/v1/reports/ledger.xlsx?from=&to=                      the case ledger (台账), to inclusive
func (s *Server) registerReportRoutes(r chi.Router) {
	if s.Reports == nil {
		return
	}
	r.Get("/reports/weekly", s.h(s.weeklyReport))
	r.Get("/reports/monthly", s.h(s.monthlyReport))
	r.Get("/reports/ledger.xlsx", s.h(s.ledgerExport))
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func (s *Server) weeklyReport(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query().Get("week")
	if v == "" {
		return errs.Invalidf("week", "week_required", "want week=YYYY-Www")
	}
	per, err := report.ParseWeek(v, workday.Shanghai())
	if err != nil {
		return err
	}
	return s.servePack(w, r, per)
}

func (s *Server) monthlyReport(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query().Get("month")
	if v == "" {
		return errs.Invalidf("month", "month_required", "want month=YYYY-MM")
	}
	per, err := report.ParseMonth(v, workday.Shanghai())
	if err != nil {
		return err
	}
	return s.servePack(w, r, per)
}

func (s *Server) servePack(w http.ResponseWriter, r *http.Request, per report.Period) error {
	format := r.URL.Query().Get("format")
	if format != "" && format != "html" && format != "xlsx" {
		return errs.Invalidf("format", "invalid_format", "want html or xlsx, got %q", format)
	}
	pk, err := s.Reports.Build(r.Context(), principal(r), per)
	if err != nil {
		return err
	}
	t := s.texts(r)
	if format == "xlsx" {
		b, err := PackWorkbook(pk, t)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", xlsxType)
		w.Header().Set("Content-Disposition", `attachment; filename="pack-`+per.Label+`.xlsx"`)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b)
		return nil
	}
	b, err := PackHTML(pk, t)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return nil
}

func (s *Server) ledgerExport(w http.ResponseWriter, r *http.Request) error {
	from, to, err := queryRange(r, 1)
	if err != nil {
		return err
	}
	cs, err := s.Reports.Ledger(r.Context(), principal(r), *from, *to)
	if err != nil {
		return err
	}
	b, err := LedgerWorkbook(cs, s.texts(r), from.Format("2006-01-02"), to.AddDate(0, 0, -1).Format("2006-01-02"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", xlsxType)
	w.Header().Set("Content-Disposition", `attachment; filename="ledger-`+from.Format("20060102")+`.xlsx"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return nil
}

// texts renders catalogue messages in the request's language, and names
// statuses and trends.
type texts struct {
	T      func(k msg.Key, args ...any) string
	Status func(st string) string
	Lang   string
}

func (s *Server) texts(r *http.Request) texts {
	l := msg.Lang(lang(r))
	return texts{
		T:    func(k msg.Key, args ...any) string { return s.Messages.Sprintf(l, k, args...) },
		Lang: string(l),
		Status: func(st string) string {
			n := statusNames[casework.Status(st)]
			if l == msg.EN {
				return n[1]
			}
			return n[0]
		},
	}
}
