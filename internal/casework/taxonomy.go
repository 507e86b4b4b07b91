package casework

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/gridd/gridd/internal/errs"
)

// Deadlines are a category's time limits in working days: the unit accepts
// a dispatched case within AcceptDays, handles it within HandleDays of
// accepting, and the grid worker verifies within VerifyDays.
type Deadlines struct {
	AcceptDays int `json:"accept_days"`
	HandleDays int `json:"handle_days"`
	VerifyDays int `json:"verify_days"`
}

// DefaultDeadlines are the plans' limits: accept 2, handle 5, verify 1.
var DefaultDeadlines = Deadlines{AcceptDays: 2, HandleDays: 5, VerifyDays: 1}

// Category is one class of the coded taxonomy, in the manner of GB/T 30428's
// event classification: a big class has a 2-digit code ("01"), a small class
// the 4-digit code of its big class plus two digits ("0101"). Cases are
// reported against small classes; routing rules may name either.
type Category struct {
	Code   string    `json:"code"`
	Parent string    `json:"parent,omitempty"` // the big class of a small class
	Name   string    `json:"name"`
	NameEN string    `json:"name_en"`
	Points float64   `json:"points"` // 工单得分 for the monthly assessment
	Rule   Deadlines `json:"deadlines"`
	Active bool      `json:"active"`
}

// IsSmall reports whether c is a small class.
func (c *Category) IsSmall() bool { return len(c.Code) == 4 }

var (
	bigCode   = regexp.MustCompile(`^[0-9]{2}$`)
	smallCode = regexp.MustCompile(`^[0-9]{4}$`)
)

// ValidCategoryCode reports whether code has the form of a big or small class code.
func ValidCategoryCode(code string) bool {
	return bigCode.MatchString(code) || smallCode.MatchString(code)
}

// Validate checks a category's fields.
func (c *Category) Validate() error {
	var bad []errs.Field
	add := func(field, reason, detail string) {
		bad = append(bad, errs.Field{Field: field, Code: c.Code, Reason: reason, Detail: detail})
	}
	switch {
	case bigCode.MatchString(c.Code):
		if c.Parent != "" {
			add("parent", "invalid_parent", "a big class (2 digits) has no parent")
		}
	case smallCode.MatchString(c.Code):
		if c.Parent != c.Code[:2] {
			add("parent", "invalid_parent", "a small class's parent is its first two digits ("+c.Code[:2]+")")
		}
	default:
		add("code", "invalid_code", "want a 2-digit big class or 4-digit small class code")
	}
	if strings.TrimSpace(c.Name) == "" || utf8.RuneCountInString(c.Name) > 100 {
		add("name", "invalid_name", "want a name of 1 to 100 characters")
	}
	if utf8.RuneCountInString(c.NameEN) > 100 {
		add("name_en", "invalid_name", "at most 100 characters")
	}
	if c.Points < 0 || c.Points > 100 {
		add("points", "invalid_points", "want work-order points from 0 to 100")
	}
	for _, d := range []struct {
		f string
		v int
	}{{"deadlines.accept_days", c.Rule.AcceptDays}, {"deadlines.handle_days", c.Rule.HandleDays}, {"deadlines.verify_days", c.Rule.VerifyDays}} {
		if d.v < 0 || d.v > 60 {
			add(d.f, "invalid_days", "want 0 to 60 working days")
		}
	}
	if len(bad) > 0 {
		e := errs.E(errs.Invalid, "invalid_category", "category %s: %s: %s", c.Code, bad[0].Field, bad[0].Detail)
		e.Fields = bad
		return e
	}
	return nil
}
