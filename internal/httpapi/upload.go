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
	"github.com/gridd/gridd/internal/people"
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
	p := principal(r)
	if err := p.RequireRole(append([]people.Role{people.RoleAdmin, people.RoleCenter, people.RoleWorker, people.RoleDepartment}, people.FieldForces...)...); err != nil {
		return err
	}
	var src io.Reader = r.Body
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		mr, err := r.MultipartReader()
		if err != nil {
			return errs.Invalidf("file", "invalid_multipart", "%v", err)
		}
		for {
			part, err := mr.NextPart()
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					return errs.E(errs.TooLarge, "photo_too_large", "the photo exceeds %d bytes", casework.MaxPhotoBytes)
				}
				return errs.Invalidf("file", "file_required", "want a multipart part named file")
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
			return errs.E(errs.TooLarge, "photo_too_large", "the photo exceeds %d bytes", casework.MaxPhotoBytes)
		}
		return errs.Invalidf("file", "unreadable_body", "%v", err)
	}
	if len(data) == 0 {
		return errs.Invalidf("file", "file_required", "the body is empty: send the JPEG or PNG bytes")
	}
	ph, err := s.DecodeBudget.Clean(r.Context(), data)
	if err != nil {
		return err
	}
	ph.OwnerID = p.User.ID
	ph.Key = r.Header.Get("Idempotency-Key")
	if len(ph.Key) > casework.MaxIdempotencyKey {
		return errs.Invalidf("Idempotency-Key", "invalid_idempotency_key", "at most %d characters", casework.MaxIdempotencyKey)
	}
	if err := s.Uploads.CreateUpload(r.Context(), ph); err != nil {
		return err
	}
	status := http.StatusCreated
	if ph.Replayed {
		status = http.StatusOK
		w.Header().Set("Idempotent-Replayed", "true")
	}
	out := map[string]any{"id": ph.ID, "content_type": ph.ContentType, "width": ph.Width, "height": ph.Height,
		"bytes": len(ph.Data), "location_hint": nil}
	if ph.GPS != nil {
		out["location_hint"] = map[string]any{"lon": ph.GPS[0], "lat": ph.GPS[1], "crs": "wgs84", "source": "exif"}
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/uploads/%d", ph.ID))
	s.writeJSON(w, r, status, "application/json", out)
	return nil
}

func (s *Server) getUpload(w http.ResponseWriter, r *http.Request) error {
	v := chi.URLParam(r, "id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return errs.Invalidf("id", "invalid_id", "want a positive integer upload id, got %q", v)
	}
	p := principal(r)
	ph, err := s.Uploads.FindUpload(r.Context(), id)
	if err != nil {
		return err
	}
	if ph.OwnerID != p.User.ID {
		if ph.CaseID == 0 && s.Visits != nil {
			ok, err := s.Visits.CanReadPhoto(r.Context(), p, id)
			if err != nil {
				return err
			}
			if ok {
				return writePhoto(w, ph.ContentType, ph.Data)
			}
		}
		if ph.CaseID == 0 {
			return errs.Forbiddenf("upload %d is not yours", id)
		}
		if _, err := s.Cases.Get(r.Context(), p, ph.CaseID); err != nil {
			if errs.Is(err, errs.Forbidden) {
				return errs.Forbiddenf("upload %d belongs to a case outside your scope", id)
			}
			return err
		}
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
