// Command growth measures how Shopfloor's read endpoints grow with the data (issue 10).
// It runs against a served Shopfloor with the fixtures bench/prepare wrote, and has two
// modes that share one list of requests:
//
//	growth latency --base-url URL --fixtures DIR --out growth.tsv
//	growth plans   --base-url URL --fixtures DIR --log POSTGRES_LOG --out plans.tsv
//
// latency sends each request serially (one connection): a warm-up, then up to
// --requests timed requests, and writes p50 and p99 (nearest rank) of the wall time
// of each request, body read included, with the HTTP statuses; any answer that is not
// 2xx is an error. A request stops being repeated once --budget has been spent on it
// (after at least --min-requests), so that a request that times out on a large data
// set does not take minutes; the table says how many were timed.
//
// plans sends each request a few times to a server whose PostgreSQL connections load
// auto_explain (log_min_duration 0), reads what the requests added to the PostgreSQL
// log, and fails, naming the request, the query and the table, on any sequential scan
// of orders, order_items, users or products. These are the plans of the statements
// the server really sends, with its plan modes (cached generic plans included, when the
// server has one connection and each request is repeated more than five times).
//
// Lists that offer keyset pagination (a pagination.nextCursor in the answer, taken back
// as ?cursor=) are also measured at page 500 by cursor: the cursor for page 500 is had
// by following nextCursor from page 1, and the walk is reported too. When the server
// offers no nextCursor those rows are skipped with a note.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

const day = 24 * time.Hour

// A request is one row of the growth table.
type request struct {
	name  string // the row's label
	path  string // path and query under the base URL
	staff bool   // sent with the staff token
	// cursorPage > 1 means: reach this page by following nextCursor from path.
	cursorPage int
	// getPath picks the path for the i-th request (GET /products/{id}); nil: path.
	getPath func(i int) string
}

// requests lists the growth table's rows. now fixes the summary ranges; history is
// the time of the first row the seed made (the beginning of the shop's history).
func requests(productIDs []string, now, history time.Time) []request {
	ts := func(t time.Time) string { return url.QueryEscape(t.UTC().Truncate(time.Second).Format(time.RFC3339)) }
	since := func(d time.Duration) string { return "/api/v1/dashboard/summary?from=" + ts(now.Add(-d)) }
	rs := []request{
		{name: "GET /products/{id}", path: "/api/v1/products/{id}", getPath: func(i int) string {
			return "/api/v1/products/" + productIDs[i%len(productIDs)]
		}},
		{name: "GET /products?limit=20 (newest, page 1)", path: "/api/v1/products?limit=20"},
		{name: "GET /products?limit=20&sort=name", path: "/api/v1/products?limit=20&sort=name"},
		{name: "GET /products?limit=20&page=500", path: "/api/v1/products?limit=20&page=500"},
		{name: "GET /products?limit=20 page 500 by cursor", path: "/api/v1/products?limit=20", cursorPage: 500},
		{name: "GET /products?limit=20&q=oak", path: "/api/v1/products?limit=20&q=oak"},
		{name: "GET /users?limit=20 (staff)", path: "/api/v1/users?limit=20", staff: true},
		{name: "GET /users?limit=20&page=500 (staff)", path: "/api/v1/users?limit=20&page=500", staff: true},
		{name: "GET /users?limit=20 page 500 by cursor (staff)", path: "/api/v1/users?limit=20", staff: true, cursorPage: 500},
		{name: "GET /orders?limit=20 (staff)", path: "/api/v1/orders?limit=20", staff: true},
		{name: "GET /orders?limit=20&page=500 (staff)", path: "/api/v1/orders?limit=20&page=500", staff: true},
		{name: "GET /orders?limit=20 page 500 by cursor (staff)", path: "/api/v1/orders?limit=20", staff: true, cursorPage: 500},
		{name: "GET /dashboard/users?limit=20", path: "/api/v1/dashboard/users?limit=20", staff: true},
		{name: "GET /dashboard/users?limit=20&page=500", path: "/api/v1/dashboard/users?limit=20&page=500", staff: true},
		{name: "GET /dashboard/users?limit=20 page 500 by cursor", path: "/api/v1/dashboard/users?limit=20", staff: true, cursorPage: 500},
		{name: "GET /dashboard/summary (all time)", path: "/api/v1/dashboard/summary", staff: true},
		{name: "GET /dashboard/summary?from=<7 days ago>", path: since(7 * day), staff: true},
		{name: "GET /dashboard/summary?from=<30 days ago>", path: since(30 * day), staff: true},
		{name: "GET /dashboard/summary?from=<180 days ago>", path: since(180 * day), staff: true},
		{name: "GET /dashboard/summary?from=<first day>&to=<now>",
			path: "/api/v1/dashboard/summary?from=" + ts(history) + "&to=" + ts(now), staff: true},
	}
	return rs
}

func main() {
	if len(os.Args) < 2 || (os.Args[1] != "latency" && os.Args[1] != "plans") {
		fmt.Fprintln(os.Stderr, "usage: growth latency|plans --base-url URL --fixtures DIR --out FILE [flags]")
		os.Exit(2)
	}
	mode := os.Args[1]
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	baseURL := fs.String("base-url", "http://127.0.0.1:18080", "the Shopfloor server")
	fixtures := fs.String("fixtures", "", "the directory bench/prepare wrote (required)")
	out := fs.String("out", "", "the TSV file to write (required)")
	n := fs.Int("requests", 30, "latency: timed requests per row (at most)")
	minN := fs.Int("min-requests", 5, "latency: timed requests per row at least, whatever the budget")
	warmup := fs.Int("warmup", 3, "latency: untimed requests per row first (fewer when one takes over a second)")
	budget := fs.Duration("budget", 15*time.Second, "time spent on one row after which it is not repeated")
	repeat := fs.Int("repeat", 7, "plans: requests per row (over 5, so that cached generic plans are seen too)")
	logPath := fs.String("log", "", "plans: the PostgreSQL server log that auto_explain writes to")
	timeout := fs.Duration("timeout", 2*time.Minute, "how long one request may take")
	_ = fs.Parse(os.Args[2:])
	if *fixtures == "" || *out == "" || (mode == "plans" && *logPath == "") {
		fs.Usage()
		os.Exit(2)
	}
	err := writeTo(*out, func(w io.Writer) error {
		c, err := newClient(*baseURL, *fixtures, *timeout)
		if err != nil {
			return err
		}
		history, err := readHistory(*fixtures)
		if err != nil {
			return err
		}
		rs := requests(c.productIDs, time.Now(), history)
		if mode == "latency" {
			return latency(c, rs, w, *warmup, *n, *minN, *budget)
		}
		return plans(c, rs, w, *logPath, *repeat, *budget)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/growth:", err)
		os.Exit(1)
	}
}

// writeTo runs write with a buffered writer to the file at path, and returns its
// error or the file's.
func writeTo(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	err = write(w)
	return errors.Join(err, w.Flush(), f.Close())
}

func readLines(dir, name string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	lines := strings.Fields(string(b))
	if len(lines) == 0 {
		return nil, fmt.Errorf("%s is empty", name)
	}
	return lines, nil
}

func readHistory(dir string) (time.Time, error) {
	lines, err := readLines(dir, "history_from.txt")
	if err != nil {
		return time.Time{}, err
	}
	return time.Parse(time.RFC3339Nano, lines[0])
}

// client sends the requests over one kept-alive connection.
type client struct {
	base       string
	staffToken string
	productIDs []string
	http       *http.Client
}

func newClient(base, fixtures string, timeout time.Duration) (*client, error) {
	staff, err := readLines(fixtures, "staff.txt")
	if err != nil {
		return nil, err
	}
	ids, err := readLines(fixtures, "product_ids.txt")
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1}
	return &client{base: strings.TrimRight(base, "/"), staffToken: staff[0], productIDs: ids,
		http: &http.Client{Timeout: timeout, Transport: tr}}, nil
}

// answer is what one request got.
type answer struct {
	status     int // 0: no answer (the error says why)
	took       time.Duration
	nextCursor string
	err        error
}

func (c *client) get(path string, staff bool) answer {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, c.base+path, nil)
	if err != nil {
		return answer{err: err}
	}
	if staff {
		req.Header.Set("Authorization", "Bearer "+c.staffToken)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{took: time.Since(start), err: err}
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	a := answer{status: resp.StatusCode, took: time.Since(start), err: err}
	var env struct {
		Pagination struct {
			NextCursor *string `json:"nextCursor"`
		} `json:"pagination"`
	}
	if a.ok() && json.Unmarshal(body, &env) == nil && env.Pagination.NextCursor != nil {
		a.nextCursor = *env.Pagination.NextCursor
	}
	return a
}

func (a answer) ok() bool { return a.err == nil && a.status >= 200 && a.status <= 299 }

func withCursor(path, cursor string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + "cursor=" + url.QueryEscape(cursor)
}

// sample collects the answers of one row.
type sample struct {
	took     []time.Duration
	statuses map[string]int
	errors   int
}

func (s *sample) add(a answer) {
	if s.statuses == nil {
		s.statuses = map[string]int{}
	}
	s.took = append(s.took, a.took)
	key := strconv.Itoa(a.status)
	if a.err != nil {
		key = "no-answer"
	}
	s.statuses[key]++
	if !a.ok() {
		s.errors++
	}
}

// percentile is the nearest-rank percentile (p in 0–100) of the durations.
func (s *sample) percentile(p float64) time.Duration {
	if len(s.took) == 0 {
		return 0
	}
	d := slices.Clone(s.took)
	slices.Sort(d)
	i := int(math.Ceil(p/100*float64(len(d)))) - 1
	return d[max(0, min(i, len(d)-1))]
}

func (s *sample) statusList() string {
	keys := make([]string, 0, len(s.statuses))
	for k := range s.statuses {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s:%d", k, s.statuses[k])
	}
	return strings.Join(parts, ",")
}

func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 3, 64) }

// errSkip says a row cannot be measured on this server (no cursor offered).
var errSkip = errors.New("skipped")

// cursorTo follows nextCursor from r.path until it has the cursor of page, adding
// every answer to walk; depth caps the pages followed (plans need only a few).
func (c *client) cursorTo(r request, page int, walk *sample) (string, error) {
	path, cursor := r.path, ""
	for p := 1; p < page; p++ {
		a := c.get(path, r.staff)
		walk.add(a)
		switch {
		case !a.ok():
			return "", fmt.Errorf("page %d of %s: status %d %v", p, r.path, a.status, a.err)
		case a.nextCursor == "" && p == 1:
			return "", fmt.Errorf("%w: no pagination.nextCursor in the answer (the server offers no cursor)", errSkip)
		case a.nextCursor == "":
			return "", fmt.Errorf("%s: no nextCursor on page %d, before page %d", r.path, p, page)
		}
		cursor = a.nextCursor
		path = withCursor(r.path, cursor)
	}
	return path, nil
}

// row is one line of the TSV that bench/summarize.sh reads.
func row(w io.Writer, name, path string, s *sample, note string) {
	fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%d\t%s\t%s\n", name, path, len(s.took), ms(s.percentile(50)), ms(s.percentile(99)),
		s.errors, s.statusList(), note)
	fmt.Fprintf(os.Stderr, "  %-58s n=%-3d p50 %9s ms  p99 %9s ms  errors %d (%s) %s\n", name, len(s.took),
		ms(s.percentile(50)), ms(s.percentile(99)), s.errors, s.statusList(), note)
}

func latency(c *client, rs []request, w io.Writer, warmup, n, minN int, budget time.Duration) error {
	fmt.Fprintln(w, "name\tpath\tn\tp50_ms\tp99_ms\terrors\tstatuses\tnote")
	for _, r := range rs {
		path := r.path
		if r.cursorPage > 1 {
			var walk sample
			start := time.Now()
			p, err := c.cursorTo(r, r.cursorPage, &walk)
			if errors.Is(err, errSkip) {
				note := "skipped: " + strings.TrimPrefix(err.Error(), errSkip.Error()+": ")
				fmt.Fprintf(w, "%s\t%s\t0\t\t\t0\t\t%s\n", r.name, r.path, note)
				fmt.Fprintf(os.Stderr, "  %-58s %s\n", r.name, note)
				continue
			}
			row(w, strings.Replace(r.name, "page 500 by cursor", "cursor walk, per page", 1), r.path, &walk,
				fmt.Sprintf("%d pages in %.1f s", len(walk.took), time.Since(start).Seconds()))
			if err != nil {
				fmt.Fprintf(w, "%s\t%s\t0\t\t\t1\t\twalk failed: %s\n", r.name, r.path, err)
				fmt.Fprintf(os.Stderr, "  %-58s walk failed: %v\n", r.name, err)
				continue
			}
			path = p
		}
		pick := func(i int) string {
			if r.getPath != nil {
				return r.getPath(i)
			}
			return path
		}
		for i := range warmup {
			if a := c.get(pick(i), r.staff); a.took > time.Second {
				break
			}
		}
		var s sample
		start := time.Now()
		for i := 0; i < n && (i < minN || time.Since(start) < budget); i++ {
			s.add(c.get(pick(warmup+i), r.staff))
		}
		note := ""
		if len(s.took) < n {
			note = fmt.Sprintf("%d timed (the %s budget spent)", len(s.took), budget)
		}
		row(w, r.name, path, &s, note)
	}
	return nil
}

// scanned matches a sequential scan of the tables that grow with the shop, in the
// text plans auto_explain logs ("Seq Scan on orders o", "Parallel Seq Scan on users").
var scanned = regexp.MustCompile(`Seq Scan on (orders|order_items|users|products)\b`)

// queryName finds sqlc's "-- name: X" in the logged query text.
var queryName = regexp.MustCompile(`-- name: (\w+)`)

func plans(c *client, rs []request, w io.Writer, logPath string, repeat int, budget time.Duration) error {
	fmt.Fprintln(w, "name\tverdict\tplans\tdetail")
	var failed []string
	for _, r := range rs {
		offset, err := logSize(logPath)
		if err != nil {
			return err
		}
		var s sample
		path := r.path
		if r.cursorPage > 1 {
			// Page 3 by cursor: the plan of a page after a cursor, at any depth.
			p, err := c.cursorTo(r, 3, &s)
			if errors.Is(err, errSkip) {
				fmt.Fprintf(w, "%s\tskipped\t0\tno nextCursor: the server offers no keyset pagination\n", r.name)
				fmt.Fprintf(os.Stderr, "  %-58s skipped: no nextCursor\n", r.name)
				continue
			}
			if err != nil {
				return err
			}
			path = p
		}
		start := time.Now()
		for i := 0; i < repeat && (i == 0 || time.Since(start) < budget); i++ {
			p := path
			if r.getPath != nil {
				p = r.getPath(i)
			}
			s.add(c.get(p, r.staff))
		}
		time.Sleep(200 * time.Millisecond) // the log is written by another process
		text, err := readFrom(logPath, offset)
		if err != nil {
			return err
		}
		v := verdict(text)
		if s.errors > 0 {
			v.problems = append(v.problems, fmt.Sprintf("%d of %d requests failed (%s)", s.errors, len(s.took), s.statusList()))
		}
		status, detail := "ok", fmt.Sprintf("%d plans, no sequential scan of orders, order_items, users or products", v.plans)
		if v.plans == 0 {
			v.problems = append(v.problems, "no plan was logged (is auto_explain loaded? see the PostgreSQL log)")
		}
		if len(v.problems) > 0 {
			status, detail = "FAIL", strings.Join(v.problems, "; ")
			failed = append(failed, r.name+": "+detail)
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", r.name, status, v.plans, detail)
		fmt.Fprintf(os.Stderr, "  %-58s %s: %s\n", r.name, status, detail)
	}
	if len(failed) > 0 {
		return fmt.Errorf("plan check failed:\n  %s", strings.Join(failed, "\n  "))
	}
	return nil
}

type planVerdict struct {
	plans    int
	problems []string
}

// verdict reads the log text of one row's requests: every auto_explain plan, the
// sequential scans of large tables in them (by query), and statements that were
// cancelled before a plan could be logged.
func verdict(text string) planVerdict {
	var v planVerdict
	seen := map[string]bool{}
	blocks := strings.Split(text, " plan:\n")
	for i, b := range blocks {
		if i == 0 {
			continue
		}
		v.plans++
		// A block runs until the next log line (a line that does not start with a tab).
		end := len(b)
		for j := 0; j < len(b); {
			k := strings.IndexByte(b[j:], '\n')
			if k < 0 {
				break
			}
			j += k + 1
			if j < len(b) && b[j] != '\t' && b[j] != ' ' {
				end = j
				break
			}
		}
		b = b[:end]
		name := "unnamed statement"
		if m := queryName.FindStringSubmatch(b); m != nil {
			name = m[1]
		}
		for _, m := range scanned.FindAllStringSubmatch(b, -1) {
			p := fmt.Sprintf("Seq Scan on %s in %s", m[1], name)
			if !seen[p] {
				seen[p] = true
				v.problems = append(v.problems, p)
			}
		}
	}
	if n := strings.Count(text, "canceling statement due to statement timeout"); n > 0 {
		v.problems = append(v.problems, fmt.Sprintf("%d statement(s) cancelled by statement_timeout, their plans not logged", n))
	}
	return v
}

func logSize(path string) (int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func readFrom(path string, offset int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return "", err
	}
	b, err := io.ReadAll(f)
	return string(b), err
}
