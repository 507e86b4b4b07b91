package msg

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Problem details. The domain reports bad input with an English fmt format
// (errs.E, errs.Invalidf, errs.Field's Detail, …); that English format is
// the detail's key here, as golang.org/x/text keys messages by their source
// text, and detailTables give its Chinese form with the same verbs in the
// same order. Detail translates a rendered English detail: it finds the
// format the text was made from, takes the arguments back out of it, puts
// them into the Chinese form, and translates an argument that is itself a
// detail (the "first %s: %s" of a list of problems, a field's "%s: %s").
// TestEveryReasonHasDetail walks the code and fails on a format without an
// entry; TestEveryMessageTranslated checks the Chinese forms.

// detailTables lists the areas' detail tables (English format → Chinese).
var detailTables = []map[string]string{
	detailsGeneric,
	detailsHTTP,
	detailsCases,
	detailsGrids,
	detailsRegisters,
	detailsAccounts,
	detailsStore,
	detailsScale,
}

// detailPattern is one English format compiled for matching.
type detailPattern struct {
	en, zh  string
	re      *regexp.Regexp
	verbs   []string // the verbs in order, as written
	literal int      // length of the format's literal text: longer wins
	prefix  string   // the literal text before the first verb
}

// verbRe matches a fmt verb (and %% so that it can be skipped).
var verbRe = regexp.MustCompile(`%%|%[-+# 0-9.]*[a-zA-Z]`)

func compileDetail(en, zh string) (detailPattern, error) {
	var b strings.Builder
	b.WriteString(`^`)
	p := detailPattern{en: en, zh: zh}
	last := 0
	p.prefix = en
	if loc := verbRe.FindStringIndex(en); loc != nil {
		p.prefix = en[:loc[0]]
	}
	for _, loc := range verbRe.FindAllStringIndex(en, -1) {
		lit := en[last:loc[0]]
		b.WriteString(regexp.QuoteMeta(lit))
		p.literal += len(lit)
		v := en[loc[0]:loc[1]]
		last = loc[1]
		if v == "%%" {
			b.WriteString("%")
			p.literal++
			continue
		}
		p.verbs = append(p.verbs, v)
		switch v[len(v)-1] {
		case 'd':
			b.WriteString(`(-?[0-9]+)`)
		case 'f', 'g':
			b.WriteString(`(-?[0-9.eE+]+)`)
		case 'q':
			b.WriteString(`("(?:[^"\\]|\\.)*"|` + "`[^`]*`" + `)`)
		default:
			b.WriteString(`((?s:.*?))`)
		}
	}
	lit := en[last:]
	b.WriteString(regexp.QuoteMeta(lit))
	p.literal += len(lit)
	b.WriteString(`$`)
	re, err := regexp.Compile(b.String())
	p.re = re
	return p, err
}

// detailIndex holds the compiled detail formats, most literal text first.
type detailIndex struct {
	byEN     map[string]string // format → Chinese format
	plain    map[string]string // a format without arguments, rendered → Chinese
	patterns []detailPattern
}

func newDetailIndex() (*detailIndex, error) {
	ix := &detailIndex{byEN: map[string]string{}, plain: map[string]string{}}
	for _, t := range detailTables {
		for en, zh := range t {
			if _, dup := ix.byEN[en]; dup {
				return nil, fmt.Errorf("msg: detail %q declared twice", en)
			}
			if zh == "" {
				return nil, fmt.Errorf("msg: detail %q has no Chinese form", en)
			}
			ix.byEN[en] = zh
			p, err := compileDetail(en, zh)
			if err != nil {
				return nil, err
			}
			if len(p.verbs) == 0 {
				ix.plain[strings.ReplaceAll(en, "%%", "%")] = strings.ReplaceAll(zh, "%%", "%")
			}
			// A format of verbs alone ("%v") would match any text.
			if len(p.verbs) > 0 && p.literal > 0 {
				ix.patterns = append(ix.patterns, p)
			}
		}
	}
	sort.Slice(ix.patterns, func(i, j int) bool {
		a, b := ix.patterns[i], ix.patterns[j]
		if a.literal != b.literal {
			return a.literal > b.literal
		}
		return a.en < b.en
	})
	return ix, nil
}

// translate renders English detail text s in Chinese; text it does not
// know comes back unchanged. depth bounds the nesting of details.
func (ix *detailIndex) translate(s string, depth int) string {
	if zh, ok := ix.plain[s]; ok {
		return zh
	}
	if depth > 4 || s == "" {
		return s
	}
	for _, p := range ix.patterns {
		if !strings.HasPrefix(s, p.prefix) {
			continue
		}
		m := p.re.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		i := 0
		return verbRe.ReplaceAllStringFunc(p.zh, func(v string) string {
			if v == "%%" {
				return "%"
			}
			if i >= len(p.verbs) {
				return v
			}
			a := m[i+1]
			verb := p.verbs[i]
			i++
			if c := verb[len(verb)-1]; c == 's' || c == 'v' {
				return ix.translate(a, depth+1)
			}
			return a
		})
	}
	return s
}

// Detail renders English detail text in lang: in English as it is, in
// Chinese from the catalogue (unknown text unchanged).
func (c *Catalogue) Detail(lang Lang, english string) string {
	if lang == EN || c.details == nil {
		return english
	}
	return c.details.translate(english, 0)
}

// HasDetail reports whether the English format has a Chinese form.
func (c *Catalogue) HasDetail(format string) bool {
	_, ok := c.details.byEN[format]
	return ok
}

// DetailFormats lists every English detail format, sorted.
func (c *Catalogue) DetailFormats() []string {
	out := make([]string, 0, len(c.details.byEN))
	for en := range c.details.byEN {
		out = append(out, en)
	}
	sort.Strings(out)
	return out
}

// DetailZH is the Chinese form of an English detail format.
func (c *Catalogue) DetailZH(format string) string { return c.details.byEN[format] }
