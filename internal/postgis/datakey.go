package postgis

import (
	"bytes"
	"context"
)

// CheckDataKey stores kcv as the data key check value when none is stored
// yet and reports whether the stored one equals kcv.
func (db *DB) CheckDataKey(ctx context.Context, kcv []byte) (bool, error) {
	var stored []byte
	err := db.Pool.QueryRow(ctx, `
WITH ins AS (INSERT INTO data_key_check (kcv) VALUES ($1) ON CONFLICT (id) DO NOTHING RETURNING kcv)
SELECT kcv FROM ins UNION ALL SELECT kcv FROM data_key_check LIMIT 1`, kcv).Scan(&stored)
	if err != nil {
		return false, translate(err, "data key check")
	}
	return bytes.Equal(stored, kcv), nil
}
