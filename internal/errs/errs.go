// Package errs defines the few kinds of failure the domain reports and the
// field-level details a client needs to fix its input. The HTTP layer maps
// each Kind to one status in one place.
package errs

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error for callers (and for the HTTP status table).
type Kind int

const (
	Internal             Kind = iota
	Invalid                   // input is malformed or breaks a rule (400)
	Unprocessable             // well-formed but cannot be applied (422)
	NotFound                  // 404
	Conflict                  // state conflict, duplicate, stale version (409)
	PreconditionFailed        // If-Match does not match (412)
	Unauthorized              // no or bad credentials (401)
	Forbidden                 // authenticated but not allowed (403)
	TooManyRequests           // throttled (429)
	TooLarge                  // body or batch too large (413)
	Unavailable               // a dependency (the database) is away; retry later (503)
	UnsupportedMediaType      // the body's Content-Type is not one the route reads (415)
	MethodNotAllowed          // the resource exists but not for this method, e.g. a write on a read-only province instance (405)
)

// Field names one offending part of the input: a field, a feature or a row.
type Field struct {
	// Pointer-ish location: "features[3].geometry", "properties.code", "row 12".
	Field string `json:"field"`
	// Index of the feature or row, when the input is a collection.
	Index *int `json:"index,omitempty"`
	// Code of the feature, when known.
	Code string `json:"code,omitempty"`
	// Reason is a stable machine-readable key (e.g. "ring_not_closed").
	Reason string `json:"reason"`
	// Detail says what was expected, in English.
	Detail string `json:"detail"`
}

// Error is a domain error with a kind, a stable reason key and details.
type Error struct {
	Kind   Kind
	Reason string // stable key, e.g. "invalid_geometry"
	Msg    string // English, for people
	Fields []Field
	// Allowed lists allowed actions or values, when that helps the client.
	Allowed []string
	// RetryAfter, on a TooManyRequests error, is how long the client must
	// wait (the HTTP Retry-After); zero: the server's default.
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an error of kind with a formatted English message.
func E(kind Kind, reason, format string, args ...any) *Error {
	return &Error{Kind: kind, Reason: reason, Msg: fmt.Sprintf(format, args...)}
}

// WithFields returns e carrying fields.
func (e *Error) WithFields(f ...Field) *Error {
	e.Fields = append(e.Fields, f...)
	return e
}

// KindOf returns the kind of the first *Error in err's chain, or Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Is reports whether err is a domain error of kind k.
func Is(err error, k Kind) bool { return KindOf(err) == k }

// NotFoundf is shorthand for a not-found error.
func NotFoundf(format string, args ...any) *Error {
	return E(NotFound, "not_found", format, args...)
}

// Invalidf is shorthand for an invalid-input error on one field.
func Invalidf(field, reason, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Kind: Invalid, Reason: reason, Msg: field + ": " + msg, Fields: []Field{{Field: field, Reason: reason, Detail: msg}}}
}

// Forbiddenf is shorthand for a forbidden error.
func Forbiddenf(format string, args ...any) *Error {
	return E(Forbidden, "forbidden", format, args...)
}

// Conflictf is shorthand for a conflict error.
func Conflictf(reason, format string, args ...any) *Error {
	return E(Conflict, reason, format, args...)
}
