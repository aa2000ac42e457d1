package database

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// LSN is a position in PostgreSQL's write-ahead log, as pg_lsn writes it
// ("16/B374D848"). A write's LSN tells a replica's reader whether the replica has
// replayed that write yet (pg_last_wal_replay_lsn() at or past it).
type LSN uint64

// ParseLSN reads pg_lsn's text form: two hexadecimal numbers of at most 8 digits
// around a slash.
func ParseLSN(s string) (LSN, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok || hi == "" || lo == "" || len(hi) > 8 || len(lo) > 8 {
		return 0, fmt.Errorf("LSN %q is not two hexadecimal numbers around a slash", s)
	}
	h, err1 := strconv.ParseUint(hi, 16, 32)
	l, err2 := strconv.ParseUint(lo, 16, 32)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("LSN %q is not two hexadecimal numbers around a slash", s)
	}
	return LSN(h<<32 | l), nil
}

func (l LSN) String() string { return fmt.Sprintf("%X/%X", uint64(l)>>32, uint64(l)&0xFFFFFFFF) }

// WriteLSN returns a position in the primary's WAL at or after the end of every
// transaction committed before the call: a replica that has replayed that far
// shows all of them. pg_current_wal_insert_lsn() rather than the write or flush
// position, which lag the inserted commit records when synchronous_commit is off.
func (p *Pool) WriteLSN(ctx context.Context) (LSN, error) {
	var s string
	if err := p.QueryRow(ctx, "-- name: PrimaryWALInsertPosition :one\nSELECT pg_current_wal_insert_lsn()::text").Scan(&s); err != nil {
		return 0, err
	}
	return ParseLSN(s)
}
