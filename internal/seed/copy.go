package seed

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// copyFreeze streams n generated rows into table with COPY … (FORMAT binary, FREEZE).
// pgx's CopyFrom cannot ask for FREEZE, which writes the rows already frozen and
// marked visible to everyone, so the loaded tables need no VACUUM before index-only
// scans pay off. PostgreSQL accepts FREEZE only for a table truncated or created in
// the same transaction. The encoding is pgx's own, through the connection's type map.
func copyFreeze(ctx context.Context, tx pgx.Tx, table string, columns []string, n int, row func(i int) []any, report func(done int)) error {
	quoted := make([]string, len(columns))
	for i, c := range columns {
		quoted[i] = pgx.Identifier{c}.Sanitize()
	}
	cols := strings.Join(quoted, ", ")
	name := pgx.Identifier{table}.Sanitize()
	conn := tx.Conn()
	sd, err := conn.PgConn().Prepare(ctx, "", fmt.Sprintf("SELECT %s FROM %s", cols, name), nil)
	if err != nil {
		return err
	}
	r, w := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.CloseWithError(encodeRows(w, conn.TypeMap(), sd.Fields, n, row, report))
	}()
	_, err = conn.PgConn().CopyFrom(ctx, r, fmt.Sprintf("COPY %s (%s) FROM STDIN WITH (FORMAT binary, FREEZE)", name, cols))
	r.Close() // stops the encoder if the server gave up early
	<-done
	return err
}

// encodeRows writes PostgreSQL's binary COPY format: a header, then per row the
// field count and each field as a length (-1 for NULL) and its binary encoding.
func encodeRows(w io.Writer, types *pgtype.Map, fields []pgconn.FieldDescription, n int, row func(i int) []any, report func(done int)) error {
	buf := make([]byte, 0, 256<<10)
	buf = append(buf, "PGCOPY\n\377\r\n\000"...)
	buf = binary.BigEndian.AppendUint32(buf, 0) // flags
	buf = binary.BigEndian.AppendUint32(buf, 0) // header extension length
	step := max(1000, n/100)
	for i := range n {
		values := row(i)
		buf = binary.BigEndian.AppendUint16(buf, uint16(len(values)))
		for j, v := range values {
			at := len(buf)
			buf = append(buf, 0, 0, 0, 0)
			out, err := types.Encode(fields[j].DataTypeOID, pgtype.BinaryFormatCode, v, buf)
			if err != nil {
				return fmt.Errorf("row %d, column %s: %w", i, fields[j].Name, err)
			}
			if out == nil { // NULL
				binary.BigEndian.PutUint32(buf[at:], 0xFFFFFFFF)
				continue
			}
			binary.BigEndian.PutUint32(buf[at:], uint32(len(out)-at-4))
			buf = out
		}
		if len(buf) >= 192<<10 {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
		if (i+1)%step == 0 && i+1 < n {
			report(i + 1)
		}
	}
	buf = binary.BigEndian.AppendUint16(buf, 0xFFFF) // trailer
	_, err := w.Write(buf)
	return err
}
