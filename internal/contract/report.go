package contract

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Step is one request of the tour and the verdict on its response.
type Step struct {
	// Operation is the operationId the step calls; What says why, in a few words.
	Operation, What string
	// Method and Path are the request's, Path as the spec's template.
	Method, Path string
	// Want is the status the tour expects; Got the one the server sent (0 when the
	// request failed).
	Want, Got int
	// Problem is empty when the response had the expected status and matched the
	// spec; otherwise it says what is wrong.
	Problem string
	Elapsed time.Duration
}

// Passed reports whether the step found nothing wrong.
func (s Step) Passed() bool { return s.Problem == "" }

// Report is a whole run: every step in order, and what the run left behind.
type Report struct {
	BaseURL string
	RunID   string
	Steps   []Step
	// Left describes the data the run created and the state it left it in.
	Left Leftovers
	// NotCalled lists the spec's operations the tour did not call.
	NotCalled []string
	Elapsed   time.Duration
}

// Leftovers counts the data a run created, by the state it was left in.
type Leftovers struct {
	AccountsDeactivated, AccountsActive int
	ProductsArchived, ProductsLive      int
	OrdersCancelled, OrdersOpen         int
}

// Failed reports whether any step found a violation or an unexpected status.
func (r *Report) Failed() bool { return len(r.Failures()) > 0 }

// Failures returns the steps that did not pass, in order.
func (r *Report) Failures() []Step {
	var out []Step
	for _, s := range r.Steps {
		if !s.Passed() {
			out = append(out, s)
		}
	}
	return out
}

// Operations returns the distinct operationIds the run called, sorted.
func (r *Report) Operations() []string {
	set := map[string]bool{}
	for _, s := range r.Steps {
		set[s.Operation] = true
	}
	out := make([]string, 0, len(set))
	for op := range set {
		out = append(out, op)
	}
	sort.Strings(out)
	return out
}

// printStep writes one line per step, and the problem under it when there is one.
func printStep(w io.Writer, s Step) {
	verdict := "PASS"
	if !s.Passed() {
		verdict = "FAIL"
	}
	got := "---"
	if s.Got != 0 {
		got = fmt.Sprint(s.Got)
	}
	fmt.Fprintf(w, "%s  %-20s %-6s %-30s %s (want %d) %5dms  %s\n", verdict, s.Operation, s.Method, s.Path,
		got, s.Want, s.Elapsed.Milliseconds(), s.What)
	if !s.Passed() {
		fmt.Fprintf(w, "      %s\n", s.Problem)
	}
}

// PrintSummary writes the totals, every failure again, and what the run left.
func (r *Report) PrintSummary(w io.Writer) {
	failures := r.Failures()
	fmt.Fprintf(w, "\ncontract run %s against %s: %d checks, %d passed, %d failed, in %s\n",
		r.RunID, r.BaseURL, len(r.Steps), len(r.Steps)-len(failures), len(failures), r.Elapsed.Round(time.Millisecond))
	called := r.Operations()
	fmt.Fprintf(w, "operations exercised: %d of %d", len(called), len(called)+len(r.NotCalled))
	if len(r.NotCalled) > 0 {
		fmt.Fprintf(w, " (not called: %s)", strings.Join(r.NotCalled, ", "))
	}
	fmt.Fprintln(w)
	l := r.Left
	fmt.Fprintf(w, "data left: %d accounts deactivated, %d active; %d products archived, %d live; %d orders cancelled, %d open\n",
		l.AccountsDeactivated, l.AccountsActive, l.ProductsArchived, l.ProductsLive, l.OrdersCancelled, l.OrdersOpen)
	for _, s := range failures {
		fmt.Fprintf(w, "FAILED %s %s %s (%s): %s\n", s.Operation, s.Method, s.Path, s.What, s.Problem)
	}
}
