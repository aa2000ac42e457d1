package seed

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The RNG streams, one per table, so that changing one size leaves the rows of the
// other tables as they were (more orders never change the catalog).
const (
	streamUsers uint64 = iota + 1
	streamProducts
	streamOrders
)

const (
	day = 24 * time.Hour
	// Accounts and products appear over two years; orders are placed over the last one.
	accountSpan = 730 * day
	orderSpan   = 365 * day
	// Stock of a product that is not sold out: more than any benchmark can order.
	plentyStock = 1_000_000
)

type user struct {
	id       uuid.UUID
	email    string
	name     string
	role     string
	created  time.Time
	profile  *profile
	customer bool
}

type profile struct {
	phone, company, line1, line2, city, postal, country *string
}

type product struct {
	id          uuid.UUID
	sku         string
	name        string
	description string
	price       int64
	stock       int32
	archived    *time.Time
	created     time.Time
}

type order struct {
	id      uuid.UUID
	user    int32 // index into data.users
	status  string
	total   int64
	note    *string
	created time.Time
	updated time.Time
	items   []item
}

type item struct {
	product  int32 // index into data.products
	quantity int32
}

// data is a whole generated data set, built before anything is written so that the
// rows depend on the options alone.
type data struct {
	users    []user
	products []product
	orders   []order
	profiles int
	items    int
}

func newRand(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), stream))
}

// newUUID draws a version 4 UUID from r, so that ids repeat with the seed.
func newUUID(r *rand.Rand) uuid.UUID {
	var u uuid.UUID
	binary.BigEndian.PutUint64(u[:8], r.Uint64())
	binary.BigEndian.PutUint64(u[8:], r.Uint64())
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return u
}

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

func ptr[T any](v T) *T { return &v }

// spread returns the time of the i-th of n events spread evenly, with jitter, over
// the span that ends at now. Times grow with i, as rows inserted over time would.
func spread(r *rand.Rand, now time.Time, span time.Duration, i, n int) time.Time {
	f := (float64(i) + r.Float64()) / float64(n)
	return now.Add(-span + time.Duration(f*float64(span))).Truncate(time.Millisecond)
}

// skewed returns an index below n that favours the low end: the oldest accounts
// order most and the oldest products sell best, as in a real shop.
func skewed(r *rand.Rand, n int) int {
	u := r.Float64()
	return min(int(float64(n)*u*u), n-1)
}

func generate(opts Options, now time.Time) (*data, error) {
	d := &data{}
	generateUsers(d, opts, now)
	generateProducts(d, opts, now)
	if err := generateOrders(d, opts, now); err != nil {
		return nil, err
	}
	return d, nil
}

// generateUsers makes user000001 an admin, every hundredth account staff and the rest
// customers; two in five have a profile.
func generateUsers(d *data, opts Options, now time.Time) {
	r := newRand(opts.Seed, streamUsers)
	d.users = make([]user, opts.Users)
	for i := range d.users {
		u := &d.users[i]
		u.id = newUUID(r)
		u.email = fmt.Sprintf("user%06d@seed.test", i+1)
		u.name = pick(r, firstNames) + " " + pick(r, lastNames)
		switch {
		case i == 0:
			u.role = "admin"
		case (i+1)%100 == 0:
			u.role = "staff"
		default:
			u.role = "customer"
			u.customer = true
		}
		u.created = spread(r, now, accountSpan, i, opts.Users)
		if r.IntN(5) < 2 {
			p := &profile{
				phone:   ptr(fmt.Sprintf("+1 555 %04d", r.IntN(10000))),
				line1:   ptr(fmt.Sprintf("%d %s", 1+r.IntN(400), pick(r, streets))),
				city:    ptr(pick(r, cities)),
				postal:  ptr(fmt.Sprintf("%05d", r.IntN(100000))),
				country: ptr(pick(r, countries)),
			}
			if r.IntN(3) == 0 {
				p.company = ptr(pick(r, companies))
			}
			if r.IntN(4) == 0 {
				p.line2 = ptr(fmt.Sprintf("Unit %d", 1+r.IntN(50)))
			}
			u.profile = p
			d.profiles++
		}
	}
}

// generateProducts makes one product in a hundred sold out and one in fifty archived.
// Prices are spread evenly on a log scale from $1 to $999.99, as catalog prices are.
func generateProducts(d *data, opts Options, now time.Time) {
	r := newRand(opts.Seed, streamProducts)
	d.products = make([]product, opts.Products)
	endings := []int64{0, 0, 49, 95, 99}
	for i := range d.products {
		p := &d.products[i]
		p.id = newUUID(r)
		p.sku = fmt.Sprintf("SKU-%06d", i+1)
		adj, mat, noun := pick(r, adjectives), pick(r, materials), pick(r, nouns)
		p.name = adj + " " + mat + " " + noun
		if r.IntN(10) < 3 {
			p.name += " " + pick(r, models)
		}
		p.description = fmt.Sprintf("A %s %s %s for %s.", strings.ToLower(adj), strings.ToLower(mat), strings.ToLower(noun), pick(r, uses))
		dollars := int64(math.Exp(r.Float64() * math.Log(1000)))
		p.price = min(max(dollars, 1), 999)*100 + pick(r, endings)
		p.stock = plentyStock
		if r.IntN(100) == 0 {
			p.stock = 0
		}
		p.created = spread(r, now, accountSpan, i, opts.Products)
		if r.IntN(50) == 0 {
			t := p.created.Add(time.Duration(r.Float64() * float64(now.Sub(p.created)))).Truncate(time.Millisecond)
			p.archived = &t
		}
	}
}

// generateOrders places each order at a time that grows with its index, by an account
// and for live products that existed then, with 1 to 5 distinct lines priced from
// the catalog. Recent orders are still open; older ones are mostly delivered.
func generateOrders(d *data, opts Options, now time.Time) error {
	if opts.Orders == 0 {
		return nil
	}
	var live []int32
	for i, p := range d.products {
		if p.archived == nil {
			live = append(live, int32(i))
		}
	}
	if len(d.users) == 0 || len(live) == 0 {
		return fmt.Errorf("seed: %d orders need at least one user and one live product", opts.Orders)
	}
	r := newRand(opts.Seed, streamOrders)
	d.orders = make([]order, opts.Orders)
	lines := []int{1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5}
	quantities := []int32{1, 1, 1, 1, 1, 1, 1, 2, 2, 3}
	for i := range d.orders {
		o := &d.orders[i]
		o.id = newUUID(r)
		o.created = spread(r, now, orderSpan, i, opts.Orders)

		// An account that existed at the time, preferring customers.
		n := max(1, sort.Search(len(d.users), func(k int) bool { return d.users[k].created.After(o.created) }))
		o.user = int32(skewed(r, n))
		for try := 0; try < 10 && !d.users[o.user].customer; try++ {
			o.user = int32(skewed(r, n))
		}
		if c := d.users[o.user].created; o.created.Before(c) { // only in tiny data sets
			o.created = c
		}

		// Distinct live products that existed at the time.
		m := max(1, sort.Search(len(live), func(k int) bool { return d.products[live[k]].created.After(o.created) }))
		want := min(pick(r, lines), m)
		o.items = make([]item, 0, want)
		for try := 0; len(o.items) < want && try < 4*want; try++ {
			p := live[skewed(r, m)]
			if hasProduct(o.items, p) {
				continue
			}
			q := pick(r, quantities)
			o.items = append(o.items, item{product: p, quantity: q})
			o.total += int64(q) * d.products[p].price
		}
		d.items += len(o.items)

		o.status, o.updated = orderStatus(r, now, o.created)
		if r.IntN(10) == 0 {
			o.note = ptr(pick(r, notes))
		}
	}
	return nil
}

func hasProduct(items []item, p int32) bool {
	for _, it := range items {
		if it.product == p {
			return true
		}
	}
	return false
}

// orderStatus decides where an order placed at created stands now: one in twenty is
// cancelled, the last days' orders are pending, paid or shipped, and older ones are
// delivered.
func orderStatus(r *rand.Rand, now, created time.Time) (string, time.Time) {
	age := now.Sub(created)
	n := r.IntN(100)
	var status string
	switch {
	case n < 5:
		status = "cancelled"
	case age < 2*day:
		status = [...]string{"pending", "pending", "pending", "paid", "paid", "shipped"}[n%6]
	case age < 7*day:
		status = [...]string{"pending", "paid", "paid", "shipped", "shipped", "shipped", "delivered", "delivered"}[n%8]
	default:
		status = "delivered"
	}
	if status == "pending" {
		return status, created
	}
	moved := created.Add(time.Duration(r.Float64() * float64(min(age, 3*day)))).Truncate(time.Millisecond)
	return status, moved
}
