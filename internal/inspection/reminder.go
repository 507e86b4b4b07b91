package inspection

import (
	"context"
	"fmt"
	"time"

	"github.com/gridd/gridd/internal/inbox"
	"github.com/gridd/gridd/internal/msg"
	"github.com/gridd/gridd/internal/registers"
	"github.com/gridd/gridd/internal/workday"
)

// Notes stores inbox notifications (the inbox's store).
type Notes interface {
	SaveNotifications(ctx context.Context, notes []inbox.Notification) (int, error)
}

// ReminderDays is how far ahead a licence expiry is announced.
const ReminderDays = 30

// RemindLicences puts a notification in the inbox of the grid worker of
// every business whose licence expires within ReminderDays of now (or has
// expired): once per worker, licence and expiry date (the dedup key), so
// a daily run adds only what is new. It returns how many were added.
func (s *Service) RemindLicences(ctx context.Context, notes Notes, now time.Time) (int, error) {
	today := workday.DateOf(now)
	t := time.Date(today.Year, today.Month, today.Day, 0, 0, 0, 0, time.UTC)
	rs, err := s.Store.LicenceHolders(ctx, t.AddDate(0, 0, ReminderDays))
	if err != nil {
		return 0, err
	}
	var out []inbox.Notification
	for _, r := range rs {
		key := msg.InspectionLicenceDue
		if e, err := time.Parse("2006-01-02", r.Expires); err == nil && !e.After(t) {
			key = msg.InspectionLicenceExpired
		}
		name := registers.LicenceNames[r.Type]
		if name == "" {
			name = r.Type
		}
		out = append(out, inbox.Notification{UserID: r.UserID, Kind: inbox.NoteLicence, Key: key, Args: []any{r.Name, name, r.Expires},
			DedupKey: fmt.Sprintf("licence:%d:%s:%s:%s", r.RecordID, r.Type, r.Expires, key), CreatedAt: now})
	}
	if len(out) == 0 {
		return 0, nil
	}
	return notes.SaveNotifications(ctx, out)
}
