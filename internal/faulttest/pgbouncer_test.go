package faulttest_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/config"
)

// pgbouncerINI is the configuration scripts/e2e-pgbouncer.sh uses too: transaction
// pooling, any database name passed through to the one server, no passwords (the
// private cluster trusts local connections), and the startup parameters pgx sends
// that PgBouncer would otherwise refuse. A small server pool makes many client
// connections share few server connections.
const pgbouncerINI = `[databases]
* = host=127.0.0.1 port=%d

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
admin_users = postgres
pool_mode = transaction
default_pool_size = 2
max_client_conn = 500
ignore_startup_parameters = extra_float_digits,statement_timeout,jit
`

// TestFlowThroughPgBouncerTransactionPooling runs a real flow (register, login,
// create a product, order with an idempotency key and retry it, list) through
// PgBouncer in transaction pooling mode, with DB_QUERY_EXEC_MODE=exec, as the
// README tells operators to run it.
func TestFlowThroughPgBouncerTransactionPooling(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("pgbouncer")
	if err != nil {
		t.Fatal("pgbouncer is not installed, so running behind PgBouncer cannot be proven; " +
			"install it (Debian/Ubuntu: apt-get install pgbouncer; .ci/run installs it) and run the tests again")
	}
	cluster := privateCluster(t)
	migratedDB(t, cluster) // straight to PostgreSQL: the migrations hold a session advisory lock
	port := startPgBouncer(t, bin, cluster.Port())
	viaBouncer := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/shopfloor?sslmode=disable", port)

	env := apitest.New(t, func(c *config.Config) {
		c.DatabaseURL = viaBouncer
		c.DBQueryExecMode = pgx.QueryExecModeExec
		c.DBMaxConns = 10 // five times the two server connections PgBouncer has for it
	})
	ctx := context.Background()

	reg, err := env.Client.RegisterUserWithResponse(ctx, client.RegisterUserJSONRequestBody{
		Email: "bouncer@example.com", Password: "Bouncer-2026", Name: "Pool Walker"})
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, reg.StatusCode(), "%s\n%s", reg.Body, env.Logs())
	login, err := env.Client.LoginUserWithResponse(ctx, client.LoginUserJSONRequestBody{
		Email: "bouncer@example.com", Password: "Bouncer-2026"})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, login.StatusCode(), string(login.Body))
	customer := apitest.Bearer(login.JSON200.Data.Tokens.AccessToken)

	staff := env.CreateUser(apitest.UserOpts{Role: auth.RoleStaff})
	productID := newProduct(t, env, staff, 10)

	key := uuid.NewString()
	order := client.CreateOrderJSONRequestBody{Items: []client.OrderItemInput{{ProductId: productID, Quantity: 3}}}
	first, err := env.Client.CreateOrderWithResponse(ctx, &client.CreateOrderParams{IdempotencyKey: &key}, order, customer)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, first.StatusCode(), "%s\n%s", first.Body, env.Logs())
	require.EqualValues(t, 3*1250, first.JSON201.Data.TotalCents)
	retry, err := env.Client.CreateOrderWithResponse(ctx, &client.CreateOrderParams{IdempotencyKey: &key}, order, customer)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, retry.StatusCode(), string(retry.Body))
	require.Equal(t, first.JSON201.Data.Id, retry.JSON201.Data.Id, "the retry returns the first order")

	// Concurrent reads share PgBouncer's two server connections.
	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() {
			r := send(t, env.HTTP, "GET", env.URL+"/api/v1/products", nil)
			require.Equal(t, http.StatusOK, r.status, string(r.body))
		})
	}
	wg.Wait()

	list, err := env.Client.ListOrdersWithResponse(ctx, nil, customer)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, list.StatusCode(), string(list.Body))
	require.Len(t, list.JSON200.Data, 1, "one order, however often it was retried")
	require.Equal(t, first.JSON201.Data.Id, list.JSON200.Data[0].Id)
	product, err := env.Client.GetProductWithResponse(ctx, productID, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, product.StatusCode(), string(product.Body))
	require.EqualValues(t, 7, product.JSON200.Data.Stock, "the stock was taken once")

	// PgBouncer's own console confirms the traffic went through it, in transaction mode.
	pools := pgbouncerShow(t, port, "SHOW POOLS")
	stats := pgbouncerShow(t, port, "SHOW STATS")
	var mode, xacts string
	for _, row := range pools {
		if row["database"] == "shopfloor" {
			mode = row["pool_mode"]
		}
	}
	for _, row := range stats {
		if row["database"] == "shopfloor" {
			xacts = row["total_xact_count"]
		}
	}
	require.Equal(t, "transaction", mode, "SHOW POOLS: %v", pools)
	n, err := strconv.Atoi(xacts)
	require.NoError(t, err, "SHOW STATS: %v", stats)
	require.Greater(t, n, 30, "transactions PgBouncer carried for the database")
	t.Logf("PgBouncer carried %d transactions for the flow in %s pooling mode", n, mode)
}

// startPgBouncer runs pgbouncer in front of the server on pgPort and returns the
// port it listens on once it accepts connections. As root it runs as postgres, since
// PgBouncer refuses to run as root.
func startPgBouncer(t *testing.T, bin string, pgPort int) int {
	t.Helper()
	dir, err := os.MkdirTemp("", "shopfloor-pgbouncer-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	port := freePort(t)
	userlist := filepath.Join(dir, "userlist.txt")
	ini := filepath.Join(dir, "pgbouncer.ini")
	require.NoError(t, os.WriteFile(userlist, []byte(`"postgres" ""`+"\n"), 0o600))
	require.NoError(t, os.WriteFile(ini, []byte(fmt.Sprintf(pgbouncerINI, pgPort, port, userlist)), 0o600))

	cmd := exec.Command(bin, ini)
	cmd.Dir = dir
	out := &apitest.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		require.NoError(t, err, "as root, pgbouncer must run as the postgres user")
		uid, err1 := strconv.Atoi(u.Uid)
		gid, err2 := strconv.Atoi(u.Gid)
		require.NoError(t, err1)
		require.NoError(t, err2)
		for _, p := range []string{dir, userlist, ini} {
			require.NoError(t, os.Chown(p, uid, gid))
		}
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	require.NoError(t, startWithTest(t, cmd))
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("pgbouncer output:\n%s", out)
		}
	})

	url := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	took := eventually(t, 10*time.Second, 20*time.Millisecond, "pgbouncer accepts connections", func() bool {
		select {
		case <-done:
			t.Fatalf("pgbouncer exited: %s", out)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return false
		}
		defer conn.Close(ctx)
		return conn.Ping(ctx) == nil
	})
	t.Logf("pgbouncer on port %d in front of port %d, up after %s", port, pgPort, took)
	return port
}

// pgbouncerShow runs a SHOW command on PgBouncer's admin console and returns the
// rows as column → text maps.
func pgbouncerShow(t *testing.T, port int, show string) []map[string]string {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(fmt.Sprintf("postgres://postgres@127.0.0.1:%d/pgbouncer?sslmode=disable", port))
	require.NoError(t, err)
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol // the console speaks nothing else
	conn, err := pgx.ConnectConfig(ctx, cfg)
	require.NoError(t, err)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, show)
	require.NoError(t, err)
	defer rows.Close()
	var out []map[string]string
	for rows.Next() {
		row := map[string]string{}
		for i, fd := range rows.FieldDescriptions() {
			row[fd.Name] = string(rows.RawValues()[i])
		}
		out = append(out, row)
	}
	require.NoError(t, rows.Err())
	return out
}
