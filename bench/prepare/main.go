// Command prepare writes the fixtures the load generator and pgbench read, from a
// database that `shopfloor seed` filled:
//
//   - product_ids.txt  product ids to GET, one a line
//   - words.txt        short words of the product names, for ?q=
//   - staff.txt        an access token of a staff account
//   - orders.txt       "<order id> <token>": an order and a token of its owner
//   - create.txt       "<token> <product id>": a customer and one of --spread-products live
//     products with ample stock, in turn
//   - create-hot.txt   the same customers, every one with the same product (a flash sale)
//   - history_from.txt when the shop's history begins: the first account's or order's time
//   - logins.txt       customer emails (the seed gives every account the same password)
//   - pgbench/<scenario>/*.sql  the server's own SQL for each read scenario
//
// Tokens are minted with internal/auth and the server's JWT_SECRET, JWT_ISSUER and
// JWT_AUDIENCE, exactly as a login would sign them, so the benchmark does not have to
// log thousands of customers in through bcrypt before it starts. They live for
// --token-ttl, long enough for a whole run.
//
// The pgbench scripts hold the statements the server sends, read from the generated
// internal/db code (so they cannot drift from queries/*.sql). pgbench variables are
// only numbers, so uuid and text arguments are written in as literals, one script per
// value (pgbench picks one at random per transaction); numeric arguments (limit,
// offset) stay parameters.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/config"
	"github.com/shopfloor/shopfloor/internal/db"
)

func main() {
	out := flag.String("out", "", "directory to write the fixtures to (required)")
	dbURL := flag.String("database-url", os.Getenv("DATABASE_URL"), "the seeded database")
	sqlDir := flag.String("sql-dir", filepath.Join("internal", "db"), "the sqlc-generated package whose statements pgbench runs")
	products := flag.Int("products", 10000, "product ids to write")
	customers := flag.Int("customers", 0, "customers to mint tokens for (0: every customer)")
	spread := flag.Int("spread-products", 500, "products the order-create scenario spreads its orders over")
	scripts := flag.Int("scripts", 100, "pgbench scripts per scenario, each with other arguments (pgbench takes at most 128)")
	ttl := flag.Duration("token-ttl", 12*time.Hour, "lifetime of the minted tokens")
	flag.Parse()
	if *out == "" || *dbURL == "" {
		flag.Usage()
		os.Exit(2)
	}
	p := &prep{out: *out, sqlDir: *sqlDir, products: *products, customers: *customers, spread: *spread, scripts: min(*scripts, 128)}
	if err := p.run(context.Background(), *dbURL, *ttl); err != nil {
		fmt.Fprintln(os.Stderr, "bench/prepare:", err)
		os.Exit(1)
	}
}

type prep struct {
	out, sqlDir                          string
	products, customers, spread, scripts int
	conn                                 *pgx.Conn
	tokens                               *auth.TokenIssuer
	wordList                             []string
}

func (p *prep) run(ctx context.Context, dbURL string, ttl time.Duration) error {
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return fmt.Errorf("configuration (JWT_SECRET must be the server's): %w", err)
	}
	if p.tokens, err = auth.NewTokenIssuer(cfg.JWTSecret, cfg.JWTIssuer, cfg.JWTAudience, ttl); err != nil {
		return err
	}
	if p.conn, err = pgx.Connect(ctx, dbURL); err != nil {
		return err
	}
	defer p.conn.Close(ctx)
	if err := os.MkdirAll(p.out, 0o755); err != nil {
		return err
	}
	for _, step := range []func(context.Context) error{p.productIDs, p.words, p.staff, p.orders, p.create, p.logins, p.history, p.pgbench} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

// lines runs a query whose rows are one text column each.
func (p *prep) lines(ctx context.Context, sql string, args ...any) ([]string, error) {
	rows, err := p.conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", strings.Fields(sql)[0:4], err)
	}
	return out, nil
}

func (p *prep) write(name string, lines []string) error {
	if len(lines) == 0 {
		return fmt.Errorf("%s: no rows; was the database seeded?", name)
	}
	return os.WriteFile(filepath.Join(p.out, name), []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}

// The order of rows is by md5 of the id: random-looking, and the same on every run.

func (p *prep) productIDs(ctx context.Context) error {
	ids, err := p.lines(ctx, `SELECT id::text FROM products ORDER BY md5(id::text) LIMIT $1`, p.products)
	if err != nil {
		return err
	}
	return p.write("product_ids.txt", ids)
}

// words are the distinct words of live product names, three letters or more, as a
// shopper would type them; pgbench gets one script per word, so there are at most as
// many as it takes scripts (evenly sampled when the names have more).
func (p *prep) words(ctx context.Context) error {
	words, err := p.lines(ctx, `
		SELECT DISTINCT lower(w) FROM products, regexp_split_to_table(name, '\s+') AS w
		WHERE archived_at IS NULL AND length(w) BETWEEN 3 AND 12 AND w ~ '^[A-Za-z0-9-]+$'
		ORDER BY 1`)
	if err != nil {
		return err
	}
	if len(words) > p.scripts {
		sampled := make([]string, p.scripts)
		for i := range sampled {
			sampled[i] = words[i*len(words)/p.scripts]
		}
		words = sampled
	}
	p.wordList = words
	return p.write("words.txt", words)
}

func (p *prep) mint(id, role string) (string, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return "", err
	}
	tok, _, err := p.tokens.Issue(u, role, time.Now())
	return tok, err
}

func (p *prep) staff(ctx context.Context) error {
	ids, err := p.lines(ctx, `SELECT id::text FROM users WHERE role = 'staff' AND active ORDER BY email LIMIT 1`)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return errors.New("no staff account; was the database seeded?")
	}
	tok, err := p.mint(ids[0], auth.RoleStaff)
	if err != nil {
		return err
	}
	return p.write("staff.txt", []string{tok})
}

func (p *prep) limit() any {
	if p.customers <= 0 {
		return nil // LIMIT NULL: all
	}
	return p.customers
}

// orders pairs each customer (that has one) with their newest order.
func (p *prep) orders(ctx context.Context) error {
	rows, err := p.lines(ctx, `
		SELECT o.id::text || ' ' || o.user_id::text FROM (
			SELECT DISTINCT ON (o.user_id) o.id, o.user_id
			FROM orders o JOIN users u ON u.id = o.user_id AND u.role = 'customer' AND u.active
			ORDER BY o.user_id, o.created_at DESC, o.id DESC
		) o ORDER BY md5(o.id::text) LIMIT $1`, p.limit())
	if err != nil {
		return err
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		orderID, userID, _ := strings.Cut(r, " ")
		tok, err := p.mint(userID, auth.RoleCustomer)
		if err != nil {
			return err
		}
		out[i] = orderID + " " + tok
	}
	return p.write("orders.txt", out)
}

// create pairs every customer with a live product whose stock no benchmark can use
// up, so that every order succeeds and each request is another customer's: in
// create.txt the customers take the --spread-products products in turn, in
// create-hot.txt they all order the first of them.
func (p *prep) create(ctx context.Context) error {
	users, err := p.lines(ctx, `SELECT id::text FROM users WHERE role = 'customer' AND active ORDER BY md5(id::text) LIMIT $1`, p.limit())
	if err != nil {
		return err
	}
	products, err := p.lines(ctx, `SELECT id::text FROM products WHERE archived_at IS NULL AND stock >= 100000 ORDER BY md5(id::text) LIMIT $1`, p.spread)
	if err != nil {
		return err
	}
	if len(products) == 0 {
		return errors.New("no live product with ample stock")
	}
	spread := make([]string, len(users))
	hot := make([]string, len(users))
	for i, u := range users {
		tok, err := p.mint(u, auth.RoleCustomer)
		if err != nil {
			return err
		}
		spread[i] = tok + " " + products[i%len(products)]
		hot[i] = tok + " " + products[0]
	}
	if err := p.write("create.txt", spread); err != nil {
		return err
	}
	return p.write("create-hot.txt", hot)
}

// history writes when the shop's history begins (the first account or order), the
// start of the growth table's "all of history" summary range.
func (p *prep) history(ctx context.Context) error {
	first, err := p.lines(ctx, `SELECT to_char(least((SELECT min(created_at) FROM users), (SELECT min(created_at) FROM orders))
		AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`)
	if err != nil {
		return err
	}
	return p.write("history_from.txt", first)
}

func (p *prep) logins(ctx context.Context) error {
	emails, err := p.lines(ctx, `SELECT email FROM users WHERE role = 'customer' AND active ORDER BY md5(id::text) LIMIT $1`, p.limit())
	if err != nil {
		return err
	}
	return p.write("logins.txt", emails)
}

// pgbench writes one directory of scripts per read scenario; a pgbench run passes
// every script of one directory with -f.
func (p *prep) pgbench(ctx context.Context) error {
	stmts, err := loadStatements(p.sqlDir)
	if err != nil {
		return err
	}
	lit := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	numbers := "\\set limit 20\n\\set offset 0\n"
	// Page 1 by number, as the server sends it: no cursor, and a filtered total
	// counted up to the handler's cap (10 000 rows and one more).
	const countLimit = "10001"

	ids, err := p.lines(ctx, `SELECT id::text FROM products ORDER BY md5(id::text) LIMIT $1`, p.scripts)
	if err != nil {
		return err
	}
	var get []string
	for _, id := range ids {
		s, err := stmts.render("productGet", map[string]string{"id": lit(id)})
		if err != nil {
			return err
		}
		get = append(get, s)
	}

	var list []string
	for _, w := range p.wordList {
		s, err := stmts.render("productListNewest", map[string]string{
			"pattern": lit("%" + w + "%"), "minPriceCents": "NULL", "maxPriceCents": "NULL", "inStock": "NULL",
			"countLimit": countLimit, "afterKey": "NULL", "afterID": "NULL",
			"rowLimit": ":limit", "rowOffset": ":offset",
		})
		if err != nil {
			return err
		}
		list = append(list, numbers+s)
	}

	page, err := db.New(p.conn).DashboardUsers(ctx, db.DashboardUsersParams{RowLimit: 20})
	if err != nil {
		return err
	}
	pageIDs := make([]string, len(page))
	for i, r := range page {
		pageIDs[i] = r.ID.String()
	}
	users, err := stmts.render("dashboardUsers", map[string]string{"afterKey": "NULL", "afterID": "NULL", "rowLimit": ":limit", "rowOffset": ":offset"})
	if err != nil {
		return err
	}
	recent, err := stmts.render("dashboardRecentOrders", map[string]string{"userIds": lit("{" + strings.Join(pageIDs, ",") + "}")})
	if err != nil {
		return err
	}
	dashboard := []string{numbers + users + recent}

	orderIDs, err := p.lines(ctx, `
		SELECT o.id::text FROM orders o JOIN users u ON u.id = o.user_id AND u.role = 'customer'
		ORDER BY md5(o.id::text) LIMIT $1`, p.scripts)
	if err != nil {
		return err
	}
	var order []string
	for _, id := range orderIDs {
		o, err := stmts.render("orderGet", map[string]string{"id": lit(id)})
		if err != nil {
			return err
		}
		items, err := stmts.render("orderItemsByOrder", map[string]string{"orderID": lit(id)})
		if err != nil {
			return err
		}
		order = append(order, o+items)
	}

	for name, scripts := range map[string][]string{"product-get": get, "product-search": list, "dashboard-users": dashboard, "order-get": order} {
		dir := filepath.Join(p.out, "pgbench", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		for i, s := range scripts {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%03d.sql", i)), []byte(s), 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// statement is one sqlc query: its SQL and the names of its $1, $2, … in order.
type statement struct {
	sql    string
	params []string
}

type statements map[string]statement

var placeholder = regexp.MustCompile(`\$(\d+)`)

// render returns the statement as a pgbench command with each $n replaced by the
// value given for its parameter's name.
func (s statements) render(name string, values map[string]string) (string, error) {
	st, ok := s[name]
	if !ok {
		return "", fmt.Errorf("no statement %s in the generated queries", name)
	}
	var missing []string
	sql := placeholder.ReplaceAllStringFunc(st.sql, func(m string) string {
		n, _ := strconv.Atoi(m[1:])
		if n < 1 || n > len(st.params) {
			missing = append(missing, m)
			return m
		}
		v, ok := values[st.params[n-1]]
		if !ok {
			missing = append(missing, st.params[n-1])
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("%s: no value for %v (parameters %v)", name, missing, st.params)
	}
	// pgbench ends a command at a semicolon; strip sqlc's "-- name:" line for brevity.
	sql = strings.TrimSpace(sql)
	if first, rest, ok := strings.Cut(sql, "\n"); ok && strings.HasPrefix(first, "-- name:") {
		sql = rest
	}
	return sql + ";\n", nil
}

// loadStatements reads the sqlc-generated Go files: each query's SQL constant, and
// the names of its parameters from the method that runs it (the fields of its
// Params struct, or its one argument), which sqlc numbers in that order.
func loadStatements(dir string) (statements, error) {
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.sql.go"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no sqlc output in %s", dir)
	}
	consts := map[string]string{}
	structs := map[string][]string{}
	var funcs []*ast.FuncDecl
	for _, path := range files {
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch spec := spec.(type) {
					case *ast.ValueSpec:
						if d.Tok != token.CONST || len(spec.Values) != 1 {
							continue
						}
						if lit, ok := spec.Values[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							if v, err := strconv.Unquote(lit.Value); err == nil {
								consts[spec.Names[0].Name] = v
							}
						}
					case *ast.TypeSpec:
						if st, ok := spec.Type.(*ast.StructType); ok {
							var names []string
							for _, field := range st.Fields.List {
								for _, n := range field.Names {
									names = append(names, lowerFirst(n.Name))
								}
							}
							structs[spec.Name.Name] = names
						}
					}
				}
			case *ast.FuncDecl:
				funcs = append(funcs, d)
			}
		}
	}
	out := statements{}
	for _, fn := range funcs {
		if fn.Body == nil || fn.Type.Params == nil {
			continue
		}
		var constName string
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				if _, isConst := consts[id.Name]; isConst && constName == "" {
					constName = id.Name
				}
			}
			return true
		})
		if constName == "" {
			continue
		}
		var params []string
		for _, field := range fn.Type.Params.List[1:] { // after ctx
			typ, _ := field.Type.(*ast.Ident)
			for _, n := range field.Names {
				if typ != nil && structs[typ.Name] != nil && strings.HasSuffix(typ.Name, "Params") {
					params = append(params, structs[typ.Name]...)
				} else {
					params = append(params, n.Name)
				}
			}
		}
		out[constName] = statement{sql: consts[constName], params: params}
	}
	return out, nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
