package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gridd/gridd/internal/assessment"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/msg"
)

// TestAssessmentEvidenceInChinese: the evidence lines workers dispute their
// pay with render in Chinese without English words (zh) and as the stored
// English (en), and the stored result is not changed.
func TestAssessmentEvidenceInChinese(t *testing.T) {
	s := New(Deps{})
	note := assessment.Phrase{Key: "assessment.note.missed", Args: []string{"@source.hotline_12345", "0104", "1.5"}}
	r := &assessment.Result{
		Blocks: []assessment.Block{{Key: "attendance", Items: []assessment.Item{{
			Key:     "unanswered_calls",
			Detail:  "1 of 3 call(s) unanswered × −2",
			Phrases: []assessment.Phrase{{Key: "assessment.calls", Args: []string{"1", "3", "2"}}},
		}, {
			Key:      "missed_problems",
			Detail:   "1 missed problem(s), Σ category coefficients = 1.5 (own reports of the same category within 50 m in the 7 days before clear a case)",
			Phrases:  []assessment.Phrase{{Key: "assessment.missed", Args: []string{"1", "1.5", "50", "7"}}},
			Evidence: []assessment.Ref{{Kind: "case", ID: "2026-12-000001", Note: note.English(), NotePhrase: &note}},
		}}}},
		FlagsDetails: []string{"last in the street in 2026-11 and 2026-12: written explanation and interview"},
		FlagPhrases:  []assessment.Phrase{{Key: "assessment.flag.last_two", Args: []string{"2026-11", "2026-12"}}},
	}
	zh := s.localizeResults(msg.ZH, []*assessment.Result{r})[0]
	latin := regexp.MustCompile(`[A-Za-z]{3,}`)
	for _, text := range []string{zh.Blocks[0].Items[0].Detail, zh.Blocks[0].Items[1].Detail, zh.Blocks[0].Items[1].Evidence[0].Note, zh.FlagsDetails[0]} {
		if w := latin.FindString(text); w != "" || !regexp.MustCompile(`\p{Han}`).MatchString(text) {
			t.Errorf("zh evidence %q (English word %q)", text, w)
		}
	}
	if got := zh.Blocks[0].Items[0].Detail; got != "1 次未接听（共 3 次督查电话）× 扣 2 分" {
		t.Errorf("zh calls %q", got)
	}
	if !strings.Contains(zh.Blocks[0].Items[1].Evidence[0].Note, "12345 热线") {
		t.Errorf("zh note %q lacks the source's name", zh.Blocks[0].Items[1].Evidence[0].Note)
	}
	en := s.localizeResults(msg.EN, []*assessment.Result{r})[0]
	if en.Blocks[0].Items[0].Detail != r.Blocks[0].Items[0].Detail || en.Blocks[0].Items[1].Detail != r.Blocks[0].Items[1].Detail || en.FlagsDetails[0] != r.FlagsDetails[0] {
		t.Errorf("en %q / %q / %q differ from the stored English", en.Blocks[0].Items[0].Detail, en.Blocks[0].Items[1].Detail, en.FlagsDetails[0])
	}
	if r.Blocks[0].Items[0].Detail != "1 of 3 call(s) unanswered × −2" {
		t.Errorf("the stored result was changed: %q", r.Blocks[0].Items[0].Detail)
	}
}

// TestProblemDetailInChinese: a problem's detail is the catalogue's Chinese
// for its reason (the login error the console shows), English for English.
func TestProblemDetailInChinese(t *testing.T) {
	s := New(Deps{})
	for _, tc := range []struct{ lang, want string }{{"zh-CN", "用户名或密码错误"}, {"en", "wrong username or password"}} {
		r := httptest.NewRequest("POST", "/api/v1/auth/login", nil)
		r.Header.Set("Accept-Language", tc.lang)
		w := httptest.NewRecorder()
		s.writeError(w, r, errs.E(errs.Unauthorized, "bad_credentials", "wrong username or password"))
		var p Problem
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		if w.Code != 401 || p.Detail != tc.want || p.Reason != "bad_credentials" {
			t.Errorf("%s: %d %+v, want detail %q", tc.lang, w.Code, p, tc.want)
		}
	}
}
