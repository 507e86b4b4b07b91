package postgis

import (
	"context"
	"time"

	"github.com/gridd/gridd/internal/workday"
)

// FindCalendarYears returns every year of the working-day calendar.
func (s *CaseStore) FindCalendarYears(ctx context.Context) ([]workday.Year, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT year, off_days, work_days FROM work_calendar ORDER BY year`)
	if err != nil {
		return nil, translate(err, "calendar")
	}
	defer rows.Close()
	var out []workday.Year
	for rows.Next() {
		var y workday.Year
		var off, work []time.Time
		if err := rows.Scan(&y.Year, &off, &work); err != nil {
			return nil, err
		}
		y.Off, y.Work = dates(off), dates(work)
		out = append(out, y)
	}
	return out, translate(rows.Err(), "calendar")
}

func dates(ts []time.Time) []workday.Date {
	out := make([]workday.Date, len(ts))
	for i, t := range ts {
		out[i] = workday.NewDate(t.Year(), t.Month(), t.Day())
	}
	return out
}

func dateStrings(ds []workday.Date) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.String()
	}
	return out
}

// SaveCalendarYear inserts or replaces one year.
func (s *CaseStore) SaveCalendarYear(ctx context.Context, y workday.Year) error {
	_, err := s.db.exec(ctx, `
INSERT INTO work_calendar (year, off_days, work_days, updated_at) VALUES ($1, $2::text[]::date[], $3::text[]::date[], $4)
ON CONFLICT (year) DO UPDATE SET off_days = $2::text[]::date[], work_days = $3::text[]::date[], updated_at = $4`,
		y.Year, dateStrings(y.Off), dateStrings(y.Work), s.db.Now())
	return translate(err, "calendar year")
}
