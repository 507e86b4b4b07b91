package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/gridd/gridd/internal/errs"
)

// writeJSON encodes v into a buffer first, then writes headers and status.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, contentType string, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		s.log.Error("encode response", "request_id", requestID(r.Context()), "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) ok(w http.ResponseWriter, r *http.Request, v any) error {
	s.writeJSON(w, r, http.StatusOK, "application/json", v)
	return nil
}

// decodeJSON decodes the body into v, refusing unknown fields and trailing data.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errs.E(errs.TooLarge, "body_too_large", "the request body exceeds %d bytes", mbe.Limit)
		}
		if errors.Is(err, io.EOF) {
			return errs.Invalidf("body", "body_required", "a JSON body is required")
		}
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return errs.Invalidf(ute.Field, "wrong_type", "want %s, got JSON %s", ute.Type, ute.Value)
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return errs.Invalidf("body", "invalid_json", "malformed JSON at byte %d: %v", se.Offset, err)
		}
		return errs.Invalidf("body", "invalid_json", "%v", err)
	}
	if dec.More() {
		return errs.Invalidf("body", "invalid_json", "unexpected data after the JSON value")
	}
	return nil
}

// readBody reads the whole body, mapping the size limit to 413.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errs.E(errs.TooLarge, "body_too_large", "the request body exceeds %d bytes", mbe.Limit)
		}
		return nil, errs.Invalidf("body", "unreadable_body", "%v", err)
	}
	return b, nil
}
