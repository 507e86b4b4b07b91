package httpapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/errs"
)

// registerUploadRoutes:
//
//	POST /api/v1/uploads        a JPEG or PNG photo (raw body, or multipart field "file"); EXIF removed, GPS offered as a hint;
//	                            with Idempotency-Key a retry answers 200 with the photo stored first
//	GET  /api/v1/uploads/{id}   the cleaned photo (its uploader, who may read its case, or who may read the grid of a visit it shows)
func (s *Server) registerUploadRoutes(r chi.Router) {
	r.Post("/uploads", s.h(s.createUpload))
	r.Get("/uploads/{id}", s.h(s.getUpload))
}

func (s *Server) createUpload(w http.ResponseWriter, r *http.Request) error {
	ph, err := s.uploads.Create(r.Context(), principal(r), func() ([]byte, error) { return readPhoto(r) }, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	status := createdStatus(w, ph.Replayed)
	out := map[string]any{"id": ph.ID, "content_type": ph.ContentType, "width": ph.Width, "height": ph.Height,
		"bytes": len(ph.Data), "location_hint": nil}
	if ph.GPS != nil {
		out["location_hint"] = map[string]any{"lon": ph.GPS[0], "lat": ph.GPS[1], "crs": "wgs84", "source": "exif"}
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/uploads/%d", ph.ID))
	s.writeJSON(w, r, status, "application/json", out)
	return nil
}

// readPhoto reads the photo's bytes: the raw body, or a multipart body's
// part named file.
func readPhoto(r *http.Request) ([]byte, error) {
	var src io.Reader = r.Body
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		mr, err := r.MultipartReader()
		if err != nil {
			return nil, errs.Invalidf("file", "invalid_multipart", "%v", err)
		}
		for {
			part, err := mr.NextPart()
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					return nil, errs.E(errs.TooLarge, "photo_too_large", "the photo exceeds %d bytes", casework.MaxPhotoBytes)
				}
				return nil, errs.Invalidf("file", "file_required", "want a multipart part named file")
			}
			if part.FormName() == "file" {
				src = part
				break
			}
		}
	}
	data, err := io.ReadAll(src)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errs.E(errs.TooLarge, "photo_too_large", "the photo exceeds %d bytes", casework.MaxPhotoBytes)
		}
		return nil, errs.Invalidf("file", "unreadable_body", "%v", err)
	}
	return data, nil
}

func (s *Server) getUpload(w http.ResponseWriter, r *http.Request) error {
	v := chi.URLParam(r, "id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return errs.Invalidf("id", "invalid_id", "want a positive integer upload id, got %q", v)
	}
	ph, err := s.uploads.Get(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	return writePhoto(w, ph.ContentType, ph.Data)
}

func writePhoto(w http.ResponseWriter, contentType string, data []byte) error {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Cache-Control", "private, max-age=86400")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(data)
	return nil
}
