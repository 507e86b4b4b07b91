package casework

import "context"

// noteActions are the steps that tell a reporter how their case ended or
// why it came back (P4 七(一)): closing, rejection, failed verification.
var noteActions = []Action{ActVerifyPass, ActCloseOnSite, ActReject, ActVerifyFail}

// StatusNotes returns, for cases already read by their caller (List or
// Get checked the scope), the last closing or return step of each, by case
// id; a case without one is absent.
func (s *Service) StatusNotes(ctx context.Context, cases []*Case) (map[int64]*Event, error) {
	ids := make([]int64, len(cases))
	for i, c := range cases {
		ids[i] = c.ID
	}
	if len(ids) == 0 {
		return map[int64]*Event{}, nil
	}
	return s.Store.FindStatusNotes(ctx, ids, noteActions)
}
