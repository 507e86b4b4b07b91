package msg

import (
	"regexp"
	"strings"
	"testing"
)

// latinWord matches an English word of three letters or more: units and
// codes such as "m²", "ID" or "GPS" are allowed in Chinese text, words are not.
var latinWord = regexp.MustCompile(`[A-Za-z]{3,}`)

// allowedLatin are the Latin tokens a Chinese message may contain.
var allowedLatin = map[string]bool{"GPS": true, "URL": true, "API": true, "CSV": true, "GeoJSON": true, "Shapefile": true, "HTTP": true, "SSE": true}

// TestEveryMessageTranslated renders every message in both languages with
// placeholder arguments and fails on an empty form, a Chinese form with
// English words, or forms that disagree on their arguments.
func TestEveryMessageTranslated(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Keys()) == 0 {
		t.Fatal("the catalogue is empty")
	}
	verb := regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z]`)
	for _, k := range c.Keys() {
		tx := c.texts[k]
		zv, ev := verb.FindAllString(tx.ZH, -1), verb.FindAllString(tx.EN, -1)
		if strings.Join(zv, ",") != strings.Join(ev, ",") {
			t.Errorf("%s: zh verbs %v, en verbs %v", k, zv, ev)
		}
		args := make([]any, len(zv))
		for i := range args {
			args[i] = 7
		}
		zh := c.Sprintf(ZH, k, args...)
		stripped := verb.ReplaceAllString(tx.ZH, "")
		for _, w := range latinWord.FindAllString(stripped, -1) {
			if !allowedLatin[w] {
				t.Errorf("%s: Chinese form %q has the English word %q", k, zh, w)
			}
		}
		if en := c.Sprintf(EN, k, args...); en == "" || en == zh {
			t.Errorf("%s: English form %q", k, en)
		}
	}
}

func TestUnknownKeyAndLang(t *testing.T) {
	c := Must()
	if got := c.Sprintf(ZH, "no.such.key"); got != "no.such.key" {
		t.Errorf("unknown key renders %q", got)
	}
	if ParseLang("en-US,en;q=0.9") != EN || ParseLang("zh-CN") != ZH || ParseLang("") != ZH {
		t.Error("ParseLang")
	}
	if got := c.Sprintf(EN, ProblemNotFound); got != "Not found" {
		t.Errorf("en title %q", got)
	}
	if got := c.Sprintf(ZH, ProblemNotFound); got != "未找到" {
		t.Errorf("zh title %q", got)
	}
}
