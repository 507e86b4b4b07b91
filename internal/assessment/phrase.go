package assessment

import (
	"fmt"
	"strconv"
)

// Phrase is one sentence of an item's detail, a reference's note or a
// flag as the message catalogue holds it (internal/msg, assessment.go): the
// key and its arguments, already formatted as the rubric writes numbers,
// so a stored month renders in the reader's language later. An argument
// "@key" is itself a catalogue key (a case source, for example).
type Phrase struct {
	Key  string   `json:"key"`
	Args []string `json:"args,omitempty"`
}

// english holds each phrase's English form (%s for every argument); the
// catalogue's English forms are the same (TestPhrasesMatchCatalogue).
var english = map[string]string{
	"assessment.not_scored.patrol":    "no patrol results stored for the month: not scored",
	"assessment.coverage.low":         "coverage below the rule in %s grid(s): −%s once",
	"assessment.coverage.met":         "coverage met in every grid",
	"assessment.short_days":           "%s day(s) × −%s",
	"assessment.calls":                "%s of %s call(s) unanswered × −%s",
	"assessment.not_scored.survey":    "no survey this month: not scored",
	"assessment.survey":               "%s of %s households satisfied (%s%%), minimum %s%%",
	"assessment.survey.small":         "sample below the %s households the rubric asks for",
	"assessment.deduct":               "−%s",
	"assessment.points.below":         "%s points from %s qualified order(s), below %s: −%s",
	"assessment.points.no_pay":        "no performance pay this month",
	"assessment.points.enough":        "%s points from %s qualified order(s), at least %s",
	"assessment.vetoed":               "the month is vetoed (一票否决)",
	"assessment.not_scored.orders":    "no reviewed work order: not scored",
	"assessment.pass_rate":            "%s of %s reviewed order(s) qualified (%s%%), minimum %s%%",
	"assessment.bonus":                "%s points > %s: +%s above the block maximum",
	"assessment.bonus.none":           "%s points: no bonus tier reached",
	"assessment.missed":               "%s missed problem(s), Σ category coefficients = %s (own reports of the same category within %s m in the %s days before clear a case)",
	"assessment.per_finding":          "%s × −%s",
	"assessment.floor":                "deductions reach %s; the block stops at %s",
	"assessment.note.coverage":        "coverage %s%%",
	"assessment.note.hours":           "%s h",
	"assessment.not_scored.visits":    "no household, business or place assigned this month: not scored",
	"assessment.visits":               "%s of %s assigned visited on site (%s%%), minimum %s%%",
	"assessment.excused_days":         "%s short day(s) not counted (counting %s; approved leave never counts)",
	"assessment.note.excused.leave":   "%s h; approved leave #%s",
	"assessment.note.excused.day_off": "%s h; not a working day",
	"assessment.note.excused.rest":    "%s h; rest day #%s",
	"counted.all":                     "all days",
	"counted.working":                 "working days",
	"counted.rostered":                "rostered days",
	"assessment.note.satisfied":       "%s/%s satisfied",
	"assessment.note.points":          "%s pts",
	"assessment.note.rejected":        "rejected",
	"assessment.note.missed":          "%s, category %s × %s",
	"assessment.note.case_finding":    "case %s; %s",
	"assessment.flag.last_two":        "last in the street in %s and %s: written explanation and interview",
	"assessment.flag.unqualified3":    "unqualified in %s, %s and %s: dismissal review",
	"source.worker_app":               "grid worker app",
	"source.hotline_12345":            "12345 hotline",
	"source.wechat":                   "WeChat",
	"source.online":                   "online",
	"source.public":                   "the public",
	"source.video":                    "video",
	"source.inspector":                "inspector",
}

// PhraseKeys lists every phrase key with its English form (for the
// catalogue's test).
func PhraseKeys() map[string]string {
	out := make(map[string]string, len(english))
	for k, v := range english {
		out[k] = v
	}
	return out
}

func phrase(key string, args ...string) Phrase { return Phrase{Key: key, Args: args} }

// English renders p in English (the stored Detail and Note).
func (p Phrase) English() string {
	args := make([]any, len(p.Args))
	for i, a := range p.Args {
		if len(a) > 1 && a[0] == '@' {
			if e, ok := english[a[1:]]; ok {
				args[i] = e
				continue
			}
			args[i] = a[1:]
			continue
		}
		args[i] = a
	}
	return fmt.Sprintf(english[p.Key], args...)
}

// say appends a sentence to the item's detail ("; " between sentences,
// ": " before a deduction).
func (it *Item) say(key string, args ...string) {
	p := phrase(key, args...)
	it.Phrases = append(it.Phrases, p)
	switch {
	case len(it.Phrases) == 1:
		it.Detail = p.English()
	case key == "assessment.deduct":
		it.Detail += ": " + p.English()
	default:
		it.Detail += "; " + p.English()
	}
}

// notePhrase is a Ref note from a phrase.
func notePhrase(key string, args ...string) (string, *Phrase) {
	p := phrase(key, args...)
	return p.English(), &p
}

func itoa(n int) string { return strconv.Itoa(n) }

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func f0(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
