package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

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
	if err := requireJSON(r); err != nil {
		return err
	}
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
	if field, ok := nulString(reflect.ValueOf(v), ""); ok {
		return errs.Invalidf(field, "nul_character", "text must not contain the NUL character (\\u0000)")
	}
	return nil
}

// nulString finds a string holding a NUL character in a decoded value
// (PostgreSQL text cannot store one) and returns its JSON path.
func nulString(v reflect.Value, path string) (string, bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "", false
		}
		return nulString(v.Elem(), path)
	case reflect.String:
		return path, strings.IndexByte(v.String(), 0) >= 0
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" {
				name = f.Name
			}
			if p, ok := nulString(v.Field(i), joinPath(path, name)); ok {
				return p, true
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return "", false // raw bytes (json.RawMessage): checked where decoded
		}
		for i := 0; i < v.Len(); i++ {
			if p, ok := nulString(v.Index(i), path+"["+strconv.Itoa(i)+"]"); ok {
				return p, true
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			k := fmt.Sprint(iter.Key().Interface())
			if strings.IndexByte(k, 0) >= 0 {
				return joinPath(path, strings.ReplaceAll(k, "\x00", "")), true
			}
			if p, ok := nulString(iter.Value(), joinPath(path, k)); ok {
				return p, true
			}
		}
	}
	return "", false
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// rejectNUL refuses a request whose path or query parameters hold a NUL
// character (PostgreSQL text cannot store or compare one), naming the
// parameter, before any handler runs.
func (s *Server) rejectNUL(next http.Handler) http.Handler {
	return s.h(func(w http.ResponseWriter, r *http.Request) error {
		if strings.IndexByte(r.URL.Path, 0) >= 0 {
			return errs.Invalidf("path", "nul_character", "the path must not contain the NUL character (%%00)")
		}
		for name, vals := range r.URL.Query() {
			for _, v := range vals {
				if strings.IndexByte(v, 0) >= 0 || strings.IndexByte(name, 0) >= 0 {
					return errs.Invalidf(strings.ReplaceAll(name, "\x00", ""), "nul_character", "parameter %s must not contain the NUL character (%%00)", strings.ReplaceAll(name, "\x00", ""))
				}
			}
		}
		next.ServeHTTP(w, r)
		return nil
	})
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

// requireJSON refuses a body that does not say it is JSON
// (application/json or a +json type, any charset parameter): text/plain
// or no Content-Type at all is 415, before anything is parsed.
func requireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || !(mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return &errs.Error{Kind: errs.UnsupportedMediaType, Reason: "unsupported_media_type",
			Msg:     fmt.Sprintf("send the body as application/json, got Content-Type %q", ct),
			Allowed: []string{"application/json"},
			Fields:  []errs.Field{{Field: "Content-Type", Reason: "unsupported_media_type", Detail: "want application/json"}}}
	}
	return nil
}
