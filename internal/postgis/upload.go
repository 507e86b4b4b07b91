package postgis

import (
	"context"
	"fmt"

	"github.com/gridd/gridd/internal/casework"
	"github.com/paulmach/orb"
)

var _ casework.UploadStore = (*CaseStore)(nil)

// CreateUpload stores a cleaned photo and sets its ID.
func (s *CaseStore) CreateUpload(ctx context.Context, p *casework.Photo) error {
	var lon, lat *float64
	if p.GPS != nil {
		lon, lat = &p.GPS[0], &p.GPS[1]
	}
	err := s.db.Pool.QueryRow(ctx, `
INSERT INTO uploads (owner_id, content_type, data, width, height, sha256, gps_lon, gps_lat, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		p.OwnerID, p.ContentType, p.Data, p.Width, p.Height, p.SHA256, lon, lat, s.db.Now()).Scan(&p.ID)
	return translate(err, "upload")
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
