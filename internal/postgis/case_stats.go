package postgis

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gridd/gridd/internal/casework"
)

// caseFigureColumns are the columns the statistics read of a case: its
// group keys and the timestamps and flags its figures come from — no
// joins, no description, no photos.
const caseFigureColumns = `c.id, c.category_code, c.source, c.status, c.reported_at, coalesce(c.grid_code, ''), c.grid_chain,
	coalesce(c.lead_unit, ''), c.resolved_on_site, c.accepted_at, c.handled_at, c.closed_at, c.handle_due,
	c.handled_on_time, c.ever_postponed, c.rework_count, c.pauses`

// EachCaseFigures streams the statistics columns of every case matching f
// (its filters; no order, no page) to fn, one row at a time, so a period
// of a million cases is never held in memory. The *Case passed to fn is
// reused for the next row: fn must not keep it.
func (s *CaseStore) EachCaseFigures(ctx context.Context, f casework.CaseFilter, fn func(*casework.Case) error) error {
	now := f.Now
	if now.IsZero() {
		now = s.db.Now()
	}
	var a sqlArgs
	where, err := caseWhere(f, now, &a)
	if err != nil {
		return err
	}
	rows, err := s.db.reader(ctx).Query(ctx, `SELECT `+caseFigureColumns+` FROM cases c WHERE `+where, a.vals...)
	if err != nil {
		return translate(err, "cases")
	}
	defer rows.Close()
	var c casework.Case
	var source, status string
	var pauses []byte
	for rows.Next() {
		c = casework.Case{}
		if err := rows.Scan(&c.ID, &c.Category, &source, &status, &c.ReportedAt, &c.GridCode, &c.GridChain,
			&c.LeadUnit, &c.ResolvedOnSite, &c.AcceptedAt, &c.HandledAt, &c.ClosedAt, &c.HandleDue,
			&c.HandledOnTime, &c.EverPostponed, &c.ReworkCount, &pauses); err != nil {
			return translate(err, "cases")
		}
		c.Source = casework.Source(source)
		c.Status = casework.Status(status)
		if len(pauses) > 2 { // "[]" is the common case
			if err := json.Unmarshal(pauses, &c.Pauses); err != nil {
				return fmt.Errorf("case %d pauses: %w", c.ID, err)
			}
		}
		if err := fn(&c); err != nil {
			return err
		}
	}
	return translate(rows.Err(), "cases")
}
