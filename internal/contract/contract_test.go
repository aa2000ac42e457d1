package contract_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/account"
	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/contract"
	"github.com/shopfloor/shopfloor/internal/pgtest"
	"github.com/shopfloor/shopfloor/internal/speccheck"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const adminPassword = "Contract-Admin-2026"

// newAdmin makes the deployment's admin as an operator would: through
// internal/account, the code behind `shopfloor user create`.
func newAdmin(t *testing.T, env *apitest.Env) string {
	t.Helper()
	email := "ops@shopfloor.test"
	env.CreateAccount(account.Account{Email: email, Name: "Ops Admin", Password: adminPassword, Role: auth.RoleAdmin})
	return email
}

// someoneElsesProduct makes a product with 7 in stock as a staff member of the
// deployment would, for the run to leave alone.
func someoneElsesProduct(t *testing.T, env *apitest.Env, sku string) uuid.UUID {
	t.Helper()
	staff := env.CreateUser(apitest.UserOpts{Role: auth.RoleStaff})
	created, err := env.Client.CreateProductWithResponse(context.Background(), client.CreateProductJSONRequestBody{
		Sku: sku, Name: "Someone else's product", PriceCents: 500, Stock: 7}, staff.Auth())
	require.NoError(t, err)
	require.NotNil(t, created.JSON201)
	return created.JSON201.Data.Id
}

// run runs the tour against base (as adminEmail when not empty) and returns the
// report and what it printed.
func run(t *testing.T, base, adminEmail string, runID ...string) (*contract.Report, string) {
	t.Helper()
	var out bytes.Buffer
	// bcrypt under -race on a loaded machine can hold one request for minutes.
	cfg := contract.Config{BaseURL: base, Out: &out, HTTPClient: &http.Client{Timeout: 5 * time.Minute}}
	if len(runID) > 0 {
		cfg.RunID = runID[0]
	}
	if adminEmail != "" {
		cfg.AdminEmail, cfg.AdminPassword = adminEmail, adminPassword
	}
	report, err := contract.Run(context.Background(), cfg)
	require.NoError(t, err)
	t.Logf("the runner's output:\n%s", out.String())
	return report, out.String()
}

// TestTheTourPassesAgainstALiveServer runs the tour against the real server, on a
// database that also holds someone else's customer, product and order, as a shared
// environment would.
func TestTheTourPassesAgainstALiveServer(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := newAdmin(t, env)
	bystander := env.CreateUser(apitest.UserOpts{})
	productID := someoneElsesProduct(t, env, "BYSTANDER-1")
	placed, err := env.Client.CreateOrderWithResponse(context.Background(), nil, client.CreateOrderJSONRequestBody{
		Items: []client.OrderItemInput{{ProductId: productID, Quantity: 2}}}, bystander.Auth())
	require.NoError(t, err)
	require.NotNil(t, placed.JSON201)
	const runID = "leftovers1"
	before := snapshot(t, env, runID)
	require.Len(t, before, 5, "the admin, the staff member, the bystander, their product and order")

	report, out := run(t, env.URL, admin, runID)

	require.False(t, report.Failed(), "every check passes against the real server:\n%s", out)
	require.Contains(t, out, "0 failed")
	require.NotContains(t, out, adminPassword, "the admin password is never printed")
	called := strings.Join(report.Operations(), " ")
	for _, op := range []string{"registerUser", "loginUser", "refreshTokens", "logoutUser", "createOrder", "cancelOrder",
		"createProduct", "updateProduct", "archiveProduct", "listUsers", "updateUser", "deactivateUser",
		"updateOrderStatus", "getDashboardSummary", "listDashboardUsers"} {
		require.Contains(t, called, op, "the tour calls %s", op)
	}

	t.Run("and writes the run as JUnit XML", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "contract.xml")
		f, err := os.Create(path)
		require.NoError(t, err)
		require.NoError(t, report.WriteJUnit(f))
		require.NoError(t, f.Close())
		var suites struct {
			Suites []struct {
				Tests    int `xml:"tests,attr"`
				Failures int `xml:"failures,attr"`
				Cases    []struct {
					Name    string    `xml:"name,attr"`
					Failure *struct{} `xml:"failure"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		require.NoError(t, xml.Unmarshal(raw, &suites))
		require.Len(t, suites.Suites, 1)
		require.Equal(t, len(report.Steps), suites.Suites[0].Tests)
		require.Zero(t, suites.Suites[0].Failures)
		require.Len(t, suites.Suites[0].Cases, len(report.Steps))
		require.Contains(t, suites.Suites[0].Cases[0].Name, "getHealth → 200")
	})

	t.Run("and leaves its own data closed and everything else as it was", func(t *testing.T) {
		require.Equal(t, before, snapshot(t, env, runID), "the run changed nothing that is not its own")
		ctx := context.Background()
		var accounts, active int
		require.NoError(t, env.Pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE active)
			FROM users WHERE email LIKE 'contract-' || $1 || '-%'`, runID).Scan(&accounts, &active))
		require.Equal(t, 2, accounts, "the run registered two accounts")
		require.Zero(t, active, "and deactivated both")
		var products, live, stockMoved int
		require.NoError(t, env.Pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE archived_at IS NULL),
			count(*) FILTER (WHERE stock <> 20) FROM products WHERE sku LIKE 'CT-' || upper($1) || '-%'`, runID).Scan(&products, &live, &stockMoved))
		require.Equal(t, 2, products, "the run made two products")
		require.Zero(t, live, "and archived both")
		require.Zero(t, stockMoved, "with all their stock back")
		var orders, open int
		require.NoError(t, env.Pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE o.status <> 'cancelled')
			FROM orders o JOIN users u ON u.id = o.user_id WHERE u.email LIKE 'contract-' || $1 || '-%'`, runID).Scan(&orders, &open))
		require.Equal(t, 2, orders, "the run placed two orders")
		require.Zero(t, open, "and cancelled both")
		var sessions int
		require.NoError(t, env.Pool.QueryRow(ctx, `SELECT count(*) FROM refresh_tokens r JOIN users u ON u.id = r.user_id
			WHERE r.revoked_at IS NULL AND r.used_at IS NULL AND (u.email LIKE 'contract-' || $1 || '-%' OR u.email = $2)`,
			runID, admin).Scan(&sessions))
		require.Zero(t, sessions, "no refresh token of the run is left usable")
	})
}

// breakingProxy stands in front of the server and lets edit change the answers to
// one operation, as a deployment that breaks the contract would.
func breakingProxy(t *testing.T, target string, edit func(req *http.Request, status int, body map[string]any) (int, bool)) string {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.ModifyResponse = func(res *http.Response) error {
		raw, err := speccheck.ReadBody(res)
		if err != nil {
			return err
		}
		var body map[string]any
		if json.Unmarshal(raw, &body) == nil {
			if status, changed := edit(res.Request, res.StatusCode, body); changed {
				res.StatusCode = status
				if raw, err = json.Marshal(body); err != nil {
					return err
				}
			}
		}
		res.Body = io.NopCloser(bytes.NewReader(raw))
		res.ContentLength = int64(len(raw))
		res.Header.Set("Content-Length", strconv.Itoa(len(raw)))
		return nil
	}
	ts := httptest.NewServer(proxy)
	t.Cleanup(ts.Close)
	return ts.URL
}

func TestTheTourFailsAgainstAServerThatBreaksTheContract(t *testing.T) {
	t.Parallel()
	isProductRead := func(req *http.Request) bool {
		return req.Method == http.MethodGet && strings.HasPrefix(req.URL.Path, "/api/v1/products/")
	}
	cases := []struct {
		name      string
		edit      func(req *http.Request, status int, body map[string]any) (int, bool)
		operation string
		problem   string
	}{
		{
			name: "a product read without its required sku names getProduct and sku",
			edit: func(req *http.Request, status int, body map[string]any) (int, bool) {
				if !isProductRead(req) || status != http.StatusOK {
					return status, false
				}
				delete(body["data"].(map[string]any), "sku")
				return status, true
			},
			operation: "getProduct",
			problem:   `property "sku" is missing`,
		},
		{
			name: "an order placed with 200 instead of 201 names createOrder and the status",
			edit: func(req *http.Request, status int, body map[string]any) (int, bool) {
				if req.Method != http.MethodPost || req.URL.Path != "/api/v1/orders" || status != http.StatusCreated {
					return status, false
				}
				return http.StatusOK, true
			},
			operation: "createOrder",
			problem:   "status 200, want 201",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t)
			admin := newAdmin(t, env)
			report, out := run(t, breakingProxy(t, env.URL, tc.edit), admin)

			require.True(t, report.Failed(), out)
			failures := report.Failures()
			for _, f := range failures {
				require.Equal(t, tc.operation, f.Operation, "only the broken operation fails:\n%s", out)
				require.Contains(t, f.Problem, tc.problem)
			}
			require.Contains(t, out, "FAIL  "+tc.operation)
			require.Contains(t, out, "FAILED "+tc.operation)
			// Even so, the run leaves its data as it found it.
			require.Zero(t, report.Left.OrdersOpen, out)
			require.Zero(t, report.Left.ProductsLive, out)
			require.Zero(t, report.Left.AccountsActive, out)
		})
	}
}

// snapshot is every row the run must not touch, as text: the accounts, products and
// orders that are not the run's, with their stock, state and update times.
func snapshot(t *testing.T, env *apitest.Env, runID string) []string {
	t.Helper()
	rows, err := env.Pool.Query(context.Background(), `
		SELECT 'user ' || id || ' ' || email || ' ' || name || ' ' || role || ' ' || active || ' ' || updated_at
		FROM users WHERE email NOT LIKE 'contract-' || $1 || '-%'
		UNION ALL
		SELECT 'product ' || id || ' ' || sku || ' ' || stock || ' ' || price_cents || ' ' || version || ' ' || (archived_at IS NULL) || ' ' || updated_at
		FROM products WHERE sku NOT LIKE 'CT-' || upper($1) || '-%'
		UNION ALL
		SELECT 'order ' || o.id || ' ' || o.status || ' ' || o.updated_at
		FROM orders o JOIN users u ON u.id = o.user_id WHERE u.email NOT LIKE 'contract-' || $1 || '-%'
		ORDER BY 1`, runID)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var line string
		require.NoError(t, rows.Scan(&line))
		out = append(out, line)
	}
	require.NoError(t, rows.Err())
	return out
}

func TestWithoutAdminCredentialsTheTourOrdersALiveProductAndGivesItsStockBack(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	productID := someoneElsesProduct(t, env, "LIVE-1")

	report, out := run(t, env.URL, "")
	require.False(t, report.Failed(), out)
	require.Contains(t, out, "only an admin may deactivate them")
	require.Equal(t, 2, report.Left.AccountsActive)
	require.Zero(t, report.Left.OrdersOpen)
	var stock int
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT stock FROM products WHERE id = $1`,
		productID).Scan(&stock))
	require.Equal(t, 7, stock, "every unit the run ordered came back")
}
