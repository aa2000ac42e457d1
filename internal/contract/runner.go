// Package contract runs a tour of the Shopfloor API against any deployment, through
// the generated Go client, and holds every response to the embedded openapi.yaml
// (status, headers, body; internal/speccheck), as the end-to-end suite does: it is
// `shopfloor contract --base URL`, for CI pipelines that test a staging deployment.
//
// It is safe on a shared environment: it registers its own accounts
// (contract-<run id>-…@<domain>) and, given admin credentials, makes its own products
// (SKU CT-<RUN ID>-…); it changes nothing else, and it leaves what it made
// cancelled, archived or deactivated, even when a step fails midway.
package contract

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/speccheck"
)

// Config is what a run needs; only BaseURL is required.
type Config struct {
	// BaseURL is the deployment's root, e.g. https://staging.example.com.
	BaseURL string
	// AdminEmail and AdminPassword, when both are set, add the staff and admin
	// operations and let the run deactivate its accounts at the end.
	AdminEmail, AdminPassword string
	// RunID marks everything the run creates; random when empty.
	RunID string
	// EmailDomain is the domain of the accounts the run registers.
	EmailDomain string
	// HTTPClient sends the requests (its Transport, if any, is wrapped); a client
	// with a 30-second timeout when nil.
	HTTPClient *http.Client
	// Out receives one line per step as it finishes, and the summary; may be nil.
	Out io.Writer
}

// DefaultEmailDomain is where the run's accounts live unless told otherwise: a
// reserved top-level domain, so no mail ever leaves for a real mailbox.
const DefaultEmailDomain = "contract.shopfloor.test"

// runIDPattern keeps a run id short and plain enough for an email's local part and
// a SKU (CT-<RUN ID>-N is at most 32 characters).
var runIDPattern = regexp.MustCompile(`^[a-z0-9]{1,20}$`)

// runner is one run's state: the client, the verdicts so far, and the data made.
type runner struct {
	cfg    Config
	c      *client.ClientWithResponses
	tr     *checkingTransport
	report *Report
	out    io.Writer
	ctx    context.Context

	admin        *actor
	alice, bob   *actor // the run's own customers
	products     []*product
	orders       []*order
	liveProduct  *client.Product // the product the customer tour orders
	ownedProduct bool            // liveProduct is one the run created
}

// actor is an account the run logs in as. The password never leaves the run: it is
// not printed, logged or written to the report.
type actor struct {
	label                string
	id                   uuid.UUID
	email, password      string
	access, refresh      string
	created, deactivated bool
}

type product struct {
	id       uuid.UUID
	sku      string
	etag     string
	archived bool
}

type order struct {
	id     uuid.UUID
	owner  *actor
	status client.OrderStatus
}

// Run runs the tour and returns its report. The error is for a run that could not
// start (a malformed base URL); violations and unexpected statuses are in the
// report, and Report.Failed says whether there were any.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--base must be an http or https URL, got %q", cfg.BaseURL)
	}
	if (cfg.AdminEmail == "") != (cfg.AdminPassword == "") {
		return nil, errors.New("the admin email and password go together: give both or neither")
	}
	if cfg.RunID == "" {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		cfg.RunID = hex.EncodeToString(b)
	}
	cfg.RunID = strings.ToLower(cfg.RunID)
	if !runIDPattern.MatchString(cfg.RunID) {
		return nil, fmt.Errorf("the run id must be 1–20 letters and digits, got %q", cfg.RunID)
	}
	if cfg.EmailDomain == "" {
		cfg.EmailDomain = DefaultEmailDomain
	}
	httpClient := &http.Client{Timeout: 30 * time.Second}
	if cfg.HTTPClient != nil {
		copied := *cfg.HTTPClient
		httpClient = &copied
	}
	next := httpClient.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	tr := &checkingTransport{next: next}
	httpClient.Transport = tr
	c, err := client.NewClientWithResponses(strings.TrimRight(cfg.BaseURL, "/"), client.WithHTTPClient(httpClient))
	if err != nil {
		return nil, err
	}
	out := cfg.Out
	if out == nil {
		out = io.Discard
	}
	r := &runner{cfg: cfg, c: c, tr: tr, out: out, ctx: ctx,
		report: &Report{BaseURL: cfg.BaseURL, RunID: cfg.RunID}}
	start := time.Now()
	fmt.Fprintf(out, "contract run %s against %s (accounts contract-%s-*@%s, products %s*)\n",
		cfg.RunID, cfg.BaseURL, cfg.RunID, cfg.EmailDomain, r.skuPrefix())
	r.tour()
	r.cleanUp()
	r.report.Elapsed = time.Since(start)
	r.report.Left = r.leftovers()
	r.report.NotCalled = r.notCalled()
	r.report.PrintSummary(out)
	return r.report, nil
}

// response is every generated response type.
type response interface{ StatusCode() int }

// call makes one step: it sends the request f makes, and records whether the answer
// had the status want and matched the spec. It returns the response and whether it
// had the wanted status (a body that breaks the spec is still returned, so the tour
// goes on and reports every violation, not only the first).
// Each verify function looks at a response with the wanted status and returns what
// is wrong with its content ("" when nothing is).
func call[R response](r *runner, op string, want int, what string, f func(ctx context.Context) (R, error), verify ...func(R) string) (R, bool) {
	start := time.Now()
	res, err := f(r.ctx)
	s := Step{Operation: op, What: what, Want: want, Elapsed: time.Since(start)}
	seen := r.tr.last
	if seen != nil {
		s.Method, s.Path = seen.method, seen.result.Path
	}
	var problems []string
	if seen != nil && seen.result.Problem != "" {
		problems = append(problems, "response does not match openapi.yaml: "+seen.result.Problem)
	}
	if seen != nil && seen.result.OperationID != op {
		problems = append(problems, fmt.Sprintf("the request matched operation %q, not %s", seen.result.OperationID, op))
	}
	ok := false
	if err != nil {
		problems = append(problems, "request failed: "+err.Error())
	} else {
		s.Got = res.StatusCode()
		ok = s.Got == want
		if !ok {
			msg := fmt.Sprintf("status %d, want %d", s.Got, want)
			if seen != nil && seen.code != "" {
				msg += " (" + seen.code + ")"
			}
			problems = append(problems, msg)
		}
	}
	if ok {
		for _, v := range verify {
			if problem := v(res); problem != "" {
				problems = append(problems, problem)
			}
		}
	}
	s.Problem = strings.Join(problems, "; ")
	r.report.Steps = append(r.report.Steps, s)
	printStep(r.out, s)
	return res, ok
}

// bearer sends an access token with a request.
func bearer(token string) client.RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
}

func (r *runner) skuPrefix() string { return "CT-" + strings.ToUpper(r.cfg.RunID) + "-" }

func (r *runner) emailFor(label string) string {
	return fmt.Sprintf("contract-%s-%s@%s", r.cfg.RunID, label, r.cfg.EmailDomain)
}

// newPassword makes a password that meets the spec's rules and is never shown.
func newPassword() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "Ct9-" + hex.EncodeToString(b)
}

// notCalled lists the spec's operations that no step called, sorted.
func (r *runner) notCalled() []string {
	doc, _, err := speccheck.Spec()
	if err != nil {
		return nil
	}
	called := map[string]bool{}
	for _, op := range r.report.Operations() {
		called[op] = true
	}
	var out []string
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if !called[op.OperationID] {
				out = append(out, op.OperationID)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (r *runner) leftovers() Leftovers {
	var l Leftovers
	for _, a := range []*actor{r.alice, r.bob} {
		switch {
		case a == nil || !a.created:
		case a.deactivated:
			l.AccountsDeactivated++
		default:
			l.AccountsActive++
		}
	}
	for _, p := range r.products {
		if p.archived {
			l.ProductsArchived++
		} else {
			l.ProductsLive++
		}
	}
	for _, o := range r.orders {
		if o.status == client.OrderStatusCancelled {
			l.OrdersCancelled++
		} else {
			l.OrdersOpen++
		}
	}
	return l
}

// hasCode checks that the error envelope of the response carries code.
func hasCode[R response](r *runner, code string) func(R) string {
	return func(R) string {
		if s := r.tr.last; s == nil || !strings.HasPrefix(s.code, code+":") {
			return "error.code is not " + code
		}
		return ""
	}
}

func ptr[T any](v T) *T { return &v }
