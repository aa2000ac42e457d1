package apitest

import (
	"sort"

	"github.com/shopfloor/shopfloor/client"
)

// SKUs returns the SKUs of a page of products, sorted, for comparisons that do not
// depend on the list's order.
func SKUs(ps []client.Product) []string {
	out := SKUsInOrder(ps)
	sort.Strings(out)
	return out
}

// SKUsInOrder returns the SKUs of a page of products in the page's order.
func SKUsInOrder(ps []client.Product) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Sku
	}
	return out
}

// Emails returns the emails of a page of users in the page's order.
func Emails(users []client.User) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = string(u.Email)
	}
	return out
}
