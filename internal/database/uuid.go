package database

import (
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// RegisterTypes tells a connection's type map how our Go types travel. Every pool
// that runs the generated queries calls it from AfterConnect: the server's, and
// bench/bare's, so that the reference pays what the server pays.
//
// uuid.UUID is sent and read as PostgreSQL's 16-byte binary uuid, not as text: pgx
// knows only that it is a driver.Valuer and an sql.Scanner, so without this every
// id went through its 36-character string both ways (formatting, parsing and three
// to twenty allocations per value), a measurable share of a request's CPU.
//
// Without prepared statements (exec and simple_protocol, as behind PgBouncer) pgx
// must also choose the PostgreSQL type from the Go type, and it does not know
// uuid.UUID: a []uuid.UUID (OrderCreate's product ids) could not be encoded at all.
func RegisterTypes(m *pgtype.Map) {
	elem := &pgtype.Type{Name: "uuid", OID: pgtype.UUIDOID, Codec: uuidCodec{}}
	m.RegisterType(elem)
	m.RegisterType(&pgtype.Type{Name: "_uuid", OID: pgtype.UUIDArrayOID, Codec: &pgtype.ArrayCodec{ElementType: elem}})
	m.RegisterDefaultPgType(uuid.UUID{}, "uuid")
	m.RegisterDefaultPgType([]uuid.UUID{}, "_uuid")
}

// uuidCodec is pgx's uuid codec with a direct binary path for uuid.UUID; every other
// value and the text format go the way they always went.
type uuidCodec struct{ pgtype.UUIDCodec }

func (c uuidCodec) PlanEncode(m *pgtype.Map, oid uint32, format int16, value any) pgtype.EncodePlan {
	if _, ok := value.(uuid.UUID); ok && format == pgtype.BinaryFormatCode {
		return encodeUUID{}
	}
	return c.UUIDCodec.PlanEncode(m, oid, format, value)
}

func (c uuidCodec) PlanScan(m *pgtype.Map, oid uint32, format int16, target any) pgtype.ScanPlan {
	if _, ok := target.(*uuid.UUID); ok && format == pgtype.BinaryFormatCode {
		return scanUUID{}
	}
	return c.UUIDCodec.PlanScan(m, oid, format, target)
}

type encodeUUID struct{}

func (encodeUUID) Encode(value any, buf []byte) ([]byte, error) {
	id := value.(uuid.UUID)
	return append(buf, id[:]...), nil
}

type scanUUID struct{}

func (scanUUID) Scan(src []byte, target any) error {
	switch {
	case src == nil:
		return fmt.Errorf("cannot scan NULL into *uuid.UUID")
	case len(src) != len(uuid.UUID{}):
		return fmt.Errorf("cannot scan a binary uuid of %d bytes", len(src))
	}
	copy(target.(*uuid.UUID)[:], src)
	return nil
}
