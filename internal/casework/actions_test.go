package casework

import (
	"slices"
	"testing"
)

// TestActionsAreTheStateMachine: Actions (listed in the README and in a
// case's allowed actions) holds exactly the actions of the transitions
// table, each once.
func TestActionsAreTheStateMachine(t *testing.T) {
	acts := Actions()
	for _, a := range acts {
		if _, ok := transitions[a]; !ok {
			t.Errorf("action %s is listed but has no transition", a)
		}
	}
	for a := range transitions {
		if !slices.Contains(acts, a) {
			t.Errorf("transition %s is not listed", a)
		}
	}
	if len(acts) != len(transitions) {
		t.Errorf("%d actions listed for %d transitions", len(acts), len(transitions))
	}
}
