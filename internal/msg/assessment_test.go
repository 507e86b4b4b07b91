package msg

import (
	"testing"

	"github.com/gridd/gridd/internal/assessment"
)

// TestAssessmentPhrasesDeclared: every phrase the assessment writes is in
// the catalogue, with the assessment's own English form.
func TestAssessmentPhrasesDeclared(t *testing.T) {
	c := Must()
	for k, en := range assessment.PhraseKeys() {
		if !c.Has(Key(k)) {
			t.Errorf("phrase %q is not in the catalogue", k)
			continue
		}
		if got := c.texts[Key(k)].EN; got != en {
			t.Errorf("phrase %q: catalogue English %q, assessment English %q", k, got, en)
		}
	}
}
