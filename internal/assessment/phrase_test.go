package assessment

import (
	"strings"
	"testing"
)

// TestEveryDetailIsPhrased: every item of a scored month carries its
// detail as catalogue phrases whose English is the detail, and every
// reference note written by the assessment (not a user's) as a phrase.
func TestEveryDetailIsPhrased(t *testing.T) {
	results := Score(DefaultRubric(), knownMonth())
	if len(results) == 0 {
		t.Fatal("no results")
	}
	n := 0
	for _, r := range results {
		for _, b := range r.Blocks {
			for _, it := range b.Items {
				if len(it.Phrases) == 0 {
					t.Errorf("%s/%s/%s: detail %q has no phrases", r.Worker.Username, b.Key, it.Key, it.Detail)
					continue
				}
				var parts []string
				for _, p := range it.Phrases {
					if _, ok := english[p.Key]; !ok {
						t.Errorf("%s: phrase key %q undeclared", it.Key, p.Key)
					}
					parts = append(parts, p.English())
					n++
				}
				if first := parts[0]; !strings.HasPrefix(it.Detail, first) {
					t.Errorf("%s: detail %q does not start with its first phrase %q", it.Key, it.Detail, first)
				}
				for _, e := range it.Evidence {
					if e.NotePhrase != nil && e.NotePhrase.English() != e.Note {
						t.Errorf("%s: note %q, phrase renders %q", it.Key, e.Note, e.NotePhrase.English())
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no phrases")
	}
}
