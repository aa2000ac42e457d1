package database

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/pgtest"
)

// A uuid.UUID crosses the registered type map as 16 bytes, with no string between:
// encoding one and scanning one allocate nothing (through text they took 20 and 3
// allocations), and arrays of them use the same path.
func TestUUIDsAreBinaryWithoutText(t *testing.T) {
	m := pgtype.NewMap()
	RegisterTypes(m)
	id := uuid.New()
	var boxed any = id
	buf := make([]byte, 0, 64)

	enc := m.PlanEncode(pgtype.UUIDOID, pgtype.BinaryFormatCode, boxed)
	require.NotNil(t, enc)
	src, err := enc.Encode(boxed, buf[:0])
	require.NoError(t, err)
	require.Equal(t, id[:], src)
	var got uuid.UUID
	scan := m.PlanScan(pgtype.UUIDOID, pgtype.BinaryFormatCode, &got)
	require.NoError(t, scan.Scan(src, &got))
	require.Equal(t, id, got)

	if n := testing.AllocsPerRun(100, func() { _, _ = enc.Encode(boxed, buf[:0]) }); n != 0 {
		t.Errorf("encoding a uuid.UUID allocates %v times; it should not go through text", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = scan.Scan(src, &got) }); n != 0 {
		t.Errorf("scanning a uuid.UUID allocates %v times; it should not go through text", n)
	}
	// pgx's array codec boxes each element (14 allocations for 10); through text
	// they took 204.
	list := make([]uuid.UUID, 10)
	var ids any = list
	arr := m.PlanEncode(pgtype.UUIDArrayOID, pgtype.BinaryFormatCode, ids)
	require.NotNil(t, arr)
	if n := testing.AllocsPerRun(100, func() { _, _ = arr.Encode(ids, buf[:0]) }); n > float64(2*len(list)) {
		t.Errorf("encoding %d uuids allocates %v times; they should not go through text", len(list), n)
	}
}

// Every shape in which the generated queries pass and read ids survives a round trip
// through PostgreSQL in each query mode the server supports: a uuid, a NULL or
// present *uuid.UUID, and a uuid[].
func TestUUIDsRoundTripInEveryQueryMode(t *testing.T) {
	cfg, err := pgx.ParseConfig(pgtest.NewDB(t))
	require.NoError(t, err)
	ctx := context.Background()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(ctx) })
	RegisterTypes(conn.TypeMap())
	id, other := uuid.New(), uuid.New()

	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol} {
		t.Run(mode.String(), func(t *testing.T) {
			var (
				back     uuid.UUID
				text     string
				null     *uuid.UUID
				present  *uuid.UUID
				backList []uuid.UUID
			)
			err := conn.QueryRow(ctx, `SELECT $1::uuid, $1::uuid::text, $2::uuid, $3::uuid, $4::uuid[]`,
				mode, id, (*uuid.UUID)(nil), &other, []uuid.UUID{id, other}).
				Scan(&back, &text, &null, &present, &backList)
			require.NoError(t, err)
			require.Equal(t, id, back)
			require.Equal(t, id.String(), text, "PostgreSQL must see the same uuid the program sent")
			require.Nil(t, null)
			require.NotNil(t, present)
			require.Equal(t, other, *present)
			require.Equal(t, []uuid.UUID{id, other}, backList)
		})
	}
}
