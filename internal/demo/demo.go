// Package demo loads the small, fixed data set that `make run` starts with, so that a
// developer can log in and try every operation at once: accounts of every role, a
// catalog with one product sold out, and orders in every state a customer can see.
package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shopfloor/shopfloor/internal/account"
	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/db"
)

// Account is one demo login.
type Account struct {
	Email, Name, Role, Password string
}

// Accounts are the demo logins. Their passwords are public by design: they exist only
// in a development database that `make run` creates.
var Accounts = []Account{
	{"admin@shopfloor.test", "Ada Admin", auth.RoleAdmin, "Admin-Demo-2026"},
	{"staff@shopfloor.test", "Sam Staff", auth.RoleStaff, "Staff-Demo-2026"},
	{"alice@shopfloor.test", "Alice Customer", auth.RoleCustomer, "Customer-Demo-2026"},
	{"bob@shopfloor.test", "Bob Customer", auth.RoleCustomer, "Customer-Demo-2026"},
}

// Product is one demo catalog entry; Stock is what the shop started with, before the
// demo orders took their share.
type Product struct {
	SKU, Name, Description string
	PriceCents             int64
	Stock                  int32
}

// Products is the demo catalog. The webcam is sold out, so that the out-of-stock
// answer can be tried.
var Products = []Product{
	{"LAMP-LED-01", "Adjustable LED Desk Lamp", "Dimmable, with three colour temperatures and a USB charging port.", 3499, 120},
	{"CHAIR-ERGO-02", "Ergonomic Mesh Office Chair", "Lumbar support, 4D armrests, breathable mesh back.", 18900, 25},
	{"KB-MECH-87", "Mechanical Keyboard, 87 Keys", "Tenkeyless, hot-swappable switches, USB-C.", 8999, 60},
	{"MOUSE-WL-01", "Wireless Mouse", "Silent clicks, 70-day battery, 2.4 GHz and Bluetooth.", 2499, 200},
	{"MON-27-4K", "27-inch 4K Monitor", "IPS panel, USB-C with 65 W power delivery.", 32900, 15},
	{"HUB-USBC-7", "USB-C Hub, 7 Ports", "HDMI 4K, two USB-A, SD and microSD, 100 W pass-through.", 3999, 80},
	{"CABLE-USBC-2M", "USB-C Cable, 2 m", "Braided, 100 W, 10 Gbit/s.", 1299, 500},
	{"STAND-LAPTOP", "Aluminium Laptop Stand", "Six heights, folds flat.", 4599, 40},
	{"MAT-DESK-XL", "Felt Desk Mat, XL", "90 x 40 cm, non-slip base.", 2999, 70},
	{"HEADSET-NC", "Noise-Cancelling Headset", "Active noise cancelling, 30-hour battery.", 14900, 30},
	{"WEBCAM-1080", "1080p Webcam", "Autofocus, privacy shutter, two microphones.", 5999, 0},
	{"NOTEBOOK-A5", "Dotted Notebook, A5", "160 pages of 100 g/m² paper, lay-flat binding.", 899, 300},
}

type line struct {
	sku      string
	quantity int32
}

// orders are the demo customers' orders, one in each state they can meet.
var orders = []struct {
	email, status, note string
	lines               []line
}{
	{"alice@shopfloor.test", "pending", "Gift wrap, please.", []line{{"KB-MECH-87", 1}, {"MOUSE-WL-01", 1}}},
	{"alice@shopfloor.test", "paid", "", []line{{"MON-27-4K", 1}, {"CABLE-USBC-2M", 2}}},
	{"alice@shopfloor.test", "shipped", "", []line{{"CHAIR-ERGO-02", 1}}},
	{"bob@shopfloor.test", "pending", "", []line{{"NOTEBOOK-A5", 3}, {"MAT-DESK-XL", 1}}},
	{"bob@shopfloor.test", "cancelled", "Ordered by mistake.", []line{{"HEADSET-NC", 1}, {"HUB-USBC-7", 1}}},
}

// Load creates the demo accounts that do not exist yet and, when the catalog is empty,
// the demo catalog and orders; running it again changes nothing.
func Load(ctx context.Context, pool *pgxpool.Pool, hasher *auth.Hasher) error {
	if err := loadAccounts(ctx, pool, hasher); err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		return loadCatalog(ctx, db.New(tx))
	})
}

func loadAccounts(ctx context.Context, pool *pgxpool.Pool, hasher *auth.Hasher) error {
	q := db.New(pool)
	hashes := rememberedHashes{hasher: hasher, hashes: map[string]string{}}
	for _, a := range Accounts {
		_, err := q.UserCredentialsByEmail(ctx, a.Email)
		if err == nil {
			continue
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("demo: look up %s: %w", a.Email, err)
		}
		if _, err := account.Create(ctx, pool, hashes, account.Account{Email: a.Email, Name: a.Name, Password: a.Password, Role: a.Role}, nil); err != nil {
			return fmt.Errorf("demo: create %s: %w", a.Email, err)
		}
	}
	return nil
}

// rememberedHashes hashes each demo password once: the demo accounts share a few.
type rememberedHashes struct {
	hasher *auth.Hasher
	hashes map[string]string
}

func (r rememberedHashes) Hash(ctx context.Context, password string) (string, error) {
	if h, ok := r.hashes[password]; ok {
		return h, nil
	}
	h, err := r.hasher.Hash(ctx, password)
	if err != nil {
		return "", fmt.Errorf("demo: hash password: %w", err)
	}
	r.hashes[password] = h
	return h, nil
}

// loadCatalog creates the products and places the orders as the API would: prices from
// the catalog, stock taken for every order and given back for the cancelled one.
func loadCatalog(ctx context.Context, q *db.Queries) error {
	n, err := q.ProductCount(ctx, db.ProductCountParams{})
	if err != nil {
		return fmt.Errorf("demo: count products: %w", err)
	}
	if n.Total > 0 {
		return nil
	}
	bySKU := map[string]db.Product{}
	for _, p := range Products {
		created, err := q.ProductCreate(ctx, db.ProductCreateParams{
			Sku: p.SKU, Name: p.Name, Description: p.Description, PriceCents: p.PriceCents, Stock: p.Stock,
		})
		if err != nil {
			return fmt.Errorf("demo: create product %s: %w", p.SKU, err)
		}
		bySKU[p.SKU] = created
	}
	for i, o := range orders {
		user, err := q.UserCredentialsByEmail(ctx, o.email)
		if err != nil {
			return fmt.Errorf("demo: order %d: look up %s: %w", i+1, o.email, err)
		}
		args := db.OrderPlaceParams{UserID: user.ID}
		for _, l := range o.lines {
			args.ProductIds = append(args.ProductIds, bySKU[l.sku].ID)
			args.Quantities = append(args.Quantities, l.quantity)
		}
		if o.note != "" {
			args.Note = &o.note
		}
		rows, err := q.OrderPlace(ctx, args)
		if err != nil {
			return fmt.Errorf("demo: order %d: %w", i+1, err)
		}
		if len(rows) == 0 || rows[0].OrderID == nil {
			return fmt.Errorf("demo: order %d: not placed (a product is unknown, archived or short of stock)", i+1)
		}
		orderID := *rows[0].OrderID
		if o.status == "cancelled" {
			if _, err := q.ProductsReturnStock(ctx, orderID); err != nil {
				return fmt.Errorf("demo: order %d: return stock: %w", i+1, err)
			}
		}
		if o.status != "pending" {
			if _, err := q.OrderSetStatus(ctx, db.OrderSetStatusParams{ID: orderID, Status: o.status}); err != nil {
				return fmt.Errorf("demo: order %d: set status: %w", i+1, err)
			}
		}
	}
	return nil
}
