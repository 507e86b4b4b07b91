package postgis

import (
	"context"
	"fmt"
	"strings"
)

// durabilitySettings are the server settings that must be on for an
// acknowledged write to survive a crash of PostgreSQL or of the machine.
var durabilitySettings = []string{"fsync", "synchronous_commit", "full_page_writes"}

// CheckDurability fails, naming each setting, when the server would lose
// acknowledged writes in a crash: fsync, synchronous_commit or
// full_page_writes off (throw-away test clusters run that way; production
// must not).
func (db *DB) CheckDurability(ctx context.Context) error {
	var off []string
	for _, name := range durabilitySettings {
		var v string
		// current_setting takes the name as a bound value: no identifier is spliced.
		if err := db.Pool.QueryRow(ctx, `SELECT current_setting($1)`, name).Scan(&v); err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		if v == "off" {
			off = append(off, name+" = off")
		}
	}
	if len(off) > 0 {
		return fmt.Errorf("the database would lose acknowledged writes in a crash (%s)", strings.Join(off, ", "))
	}
	return nil
}
