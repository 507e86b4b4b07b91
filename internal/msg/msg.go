// Package msg is the one catalogue of the texts gridd's server shows a
// person: problem titles, notification and digest texts, reasons. Each
// message has a stable key and a Chinese (the default) and an English form;
// both forms are fmt formats taking the same arguments in the same order.
//
// Messages are declared in tables, one file per area (problem.go, …), and
// listed in tables below; New builds the catalogue once (cmd/gridd wires it)
// on golang.org/x/text's message catalog, and a Printer renders messages in
// one language. TestEveryMessageTranslated renders every message in both
// languages and fails on a missing form or Latin words left in a Chinese one;
// TestEveryTableListed fails on a table left out of the lists.
//
// Problem details are the exception to keys: the domain writes them in
// English through internal/errs, and detail.go keys their Chinese forms by
// the English format (see Detail).
package msg

import (
	"fmt"
	"sort"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

// Key names a message.
type Key string

// Text is one message in both languages.
type Text struct {
	ZH string // Chinese (zh-CN), the default
	EN string // English
}

// tables lists every area's messages; a new area adds its table here.
var tables = []map[Key]Text{
	problemTitles,
	provinceTexts,
	inboxTexts,
	liveTexts,
	caseListTexts,
	analyticsTexts,
	reportTexts,
	dutyTexts,
	inspectionTexts,
	routingTexts,
	assessmentTexts,
	problemDetails,
	auditTexts,
	assessmentExportTexts,
}

// Lang is a user's language.
type Lang string

// The languages served.
const (
	ZH Lang = "zh"
	EN Lang = "en"
)

// ParseLang maps a ?lang= value or an Accept-Language header's first tag to
// ZH (the default) or EN.
func ParseLang(s string) Lang {
	if len(s) >= 2 && (s[:2] == "en" || s[:2] == "EN" || s[:2] == "En") {
		return EN
	}
	return ZH
}

func (l Lang) tag() language.Tag {
	if l == EN {
		return language.English
	}
	return language.SimplifiedChinese
}

// Catalogue holds every message.
type Catalogue struct {
	keys    []Key
	texts   map[Key]Text
	zh, en  *message.Printer
	builder *catalog.Builder
	details *detailIndex
}

// New builds the catalogue from the tables. It fails on a key declared twice
// or a message missing a language.
func New() (*Catalogue, error) {
	c := &Catalogue{texts: map[Key]Text{}, builder: catalog.NewBuilder(catalog.Fallback(language.SimplifiedChinese))}
	for _, t := range tables {
		for k, v := range t {
			if _, dup := c.texts[k]; dup {
				return nil, fmt.Errorf("msg: key %q declared twice", k)
			}
			if v.ZH == "" || v.EN == "" {
				return nil, fmt.Errorf("msg: key %q lacks a language", k)
			}
			c.texts[k] = v
			c.keys = append(c.keys, k)
			if err := c.builder.SetString(language.SimplifiedChinese, string(k), v.ZH); err != nil {
				return nil, err
			}
			if err := c.builder.SetString(language.English, string(k), v.EN); err != nil {
				return nil, err
			}
		}
	}
	sort.Slice(c.keys, func(i, j int) bool { return c.keys[i] < c.keys[j] })
	d, err := newDetailIndex()
	if err != nil {
		return nil, err
	}
	c.details = d
	c.zh = message.NewPrinter(language.SimplifiedChinese, message.Catalog(c.builder))
	c.en = message.NewPrinter(language.English, message.Catalog(c.builder))
	return c, nil
}

// Must is New for wiring code and tests, where a bad table is a programming error.
func Must() *Catalogue {
	c, err := New()
	if err != nil {
		panic(err)
	}
	return c
}

// Keys lists every key, sorted.
func (c *Catalogue) Keys() []Key { return c.keys }

// Has reports whether k is declared.
func (c *Catalogue) Has(k Key) bool { _, ok := c.texts[k]; return ok }

// Sprintf renders k in lang with args. An undeclared key renders as the key
// itself (TestEveryKeyDeclared keeps that from reaching users).
func (c *Catalogue) Sprintf(lang Lang, k Key, args ...any) string {
	if !c.Has(k) {
		return string(k)
	}
	if lang == EN {
		return c.en.Sprintf(string(k), args...)
	}
	return c.zh.Sprintf(string(k), args...)
}

// Both renders k in both languages.
func (c *Catalogue) Both(k Key, args ...any) Text {
	return Text{ZH: c.Sprintf(ZH, k, args...), EN: c.Sprintf(EN, k, args...)}
}
