package postgis

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/errs"
	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

var _ casework.UploadStore = (*CaseStore)(nil)

// CreateUpload stores a cleaned photo and sets its ID. With p.Key, a key
// the owner used before answers with the photo stored first (p.Replayed),
// or Unprocessable when that photo differs from this one.
func (s *CaseStore) CreateUpload(ctx context.Context, p *casework.Photo) error {
	var lon, lat *float64
	if p.GPS != nil {
		lon, lat = &p.GPS[0], &p.GPS[1]
	}
	// ON CONFLICT DO NOTHING returns no row for a key seen before; the
	// second statement then reads the first photo's id and hash.
	err := s.db.Pool.QueryRow(ctx, `
INSERT INTO uploads (owner_id, content_type, data, width, height, sha256, gps_lon, gps_lat, created_at, idempotency_key)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (owner_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
RETURNING id`,
		p.OwnerID, p.ContentType, p.Data, p.Width, p.Height, p.SHA256, lon, lat, s.db.Now(), nullIfEmpty(p.Key)).Scan(&p.ID)
	if !errors.Is(err, pgx.ErrNoRows) || p.Key == "" {
		return translate(err, "upload")
	}
	var sum []byte
	err = s.db.Pool.QueryRow(ctx, `SELECT id, sha256 FROM uploads WHERE owner_id = $1 AND idempotency_key = $2`, p.OwnerID, p.Key).Scan(&p.ID, &sum)
	if err != nil {
		return translate(err, "upload")
	}
	if !bytes.Equal(sum, p.SHA256) {
		return errs.E(errs.Unprocessable, "idempotency_key_reused", "this Idempotency-Key was used with a different photo; use a new key for a new photo")
	}
	p.Replayed = true
	return nil
}

// FindUpload returns an upload with its bytes, or NotFound.
func (s *CaseStore) FindUpload(ctx context.Context, id int64) (*casework.Photo, error) {
	var p casework.Photo
	var lon, lat *float64
	err := s.db.Pool.QueryRow(ctx, `
SELECT id, owner_id, content_type, data, width, height, sha256, gps_lon, gps_lat, coalesce(case_id, 0)
FROM uploads WHERE id = $1`, id).Scan(&p.ID, &p.OwnerID, &p.ContentType, &p.Data, &p.Width, &p.Height, &p.SHA256, &lon, &lat, &p.CaseID)
	if err != nil {
		return nil, translate(err, fmt.Sprintf("upload %d", id))
	}
	if lon != nil && lat != nil {
		p.GPS = &orb.Point{*lon, *lat}
	}
	return &p, nil
}
