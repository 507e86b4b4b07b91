package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gridd/gridd/internal/casework"
	"github.com/jackc/pgx/v5"
)

// FindClockSettings returns the saved stage clock settings, or the defaults.
func (s *CaseStore) FindClockSettings(ctx context.Context) (casework.ClockSettings, error) {
	var b []byte
	err := s.db.Pool.QueryRow(ctx, `SELECT settings FROM clock_settings WHERE id = 1`).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return casework.DefaultClockSettings, nil
	}
	if err != nil {
		return casework.ClockSettings{}, translate(err, "clock settings")
	}
	var cs casework.ClockSettings
	if err := json.Unmarshal(b, &cs); err != nil {
		return cs, fmt.Errorf("clock settings in the database: %w", err)
	}
	if cs.ReviewRules == nil {
		cs.ReviewRules = []casework.ReviewRule{}
	}
	return cs, nil
}

// SaveClockSettings replaces the stage clock settings.
func (s *CaseStore) SaveClockSettings(ctx context.Context, cs casework.ClockSettings) error {
	_, err := s.db.exec(ctx, `
INSERT INTO clock_settings (id, settings, updated_at) VALUES (1, $1, $2)
ON CONFLICT (id) DO UPDATE SET settings = $1, updated_at = $2`, cs, s.db.Now())
	return translate(err, "clock settings")
}
