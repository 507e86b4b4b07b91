package postgis

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// LSN is a position in the primary's write-ahead log, written as
// PostgreSQL writes a pg_lsn: two hexadecimal halves, "16/B374D848".
type LSN uint64

// ParseLSN parses the text form of a pg_lsn.
func ParseLSN(s string) (LSN, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok || hi == "" || lo == "" || len(hi) > 8 || len(lo) > 8 {
		return 0, fmt.Errorf("lsn %q: want two hexadecimal halves like 16/B374D848", s)
	}
	h, err := strconv.ParseUint(hi, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("lsn %q: %w", s, err)
	}
	l, err := strconv.ParseUint(lo, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("lsn %q: %w", s, err)
	}
	return LSN(h<<32 | l), nil
}

// String returns the pg_lsn text form.
func (l LSN) String() string { return fmt.Sprintf("%X/%X", uint64(l)>>32, uint64(l)&0xFFFFFFFF) }

// CommitLSN returns a position of the primary's write-ahead log at or past
// the end of every transaction committed before the call: a standby that
// has replayed it shows those commits. It is the insert position, not the
// flushed one, so that it covers commits made with synchronous_commit off
// too (a standby reaches it once the WAL writer has flushed them).
func (db *DB) CommitLSN(ctx context.Context) (LSN, error) {
	var s string
	if err := db.Pool.QueryRow(ctx, `SELECT pg_current_wal_insert_lsn()::text`).Scan(&s); err != nil {
		return 0, fmt.Errorf("commit position: %w", err)
	}
	return ParseLSN(s)
}
