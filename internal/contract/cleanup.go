package contract

import (
	"context"
	"fmt"

	"github.com/shopfloor/shopfloor/client"
)

// tour runs the steps in the order a customer and a back office would meet them.
// A step whose data later steps need ends the tour when it fails; cleanUp runs
// either way.
func (r *runner) tour() {
	r.public()
	browsed := r.browse()
	if !r.accounts() {
		return
	}
	if r.cfg.AdminEmail != "" && r.logInAdmin() {
		r.ownCatalog()
	}
	r.chooseProduct(browsed)
	if r.liveProduct != nil {
		r.orderFlow()
	}
	if r.admin != nil {
		r.backOffice()
	}
	r.sessions()
}

// logInAdmin logs in with the admin credentials given and keeps the session in
// r.admin; it reports whether that worked.
func (r *runner) logInAdmin() bool {
	admin := &actor{label: "admin", email: r.cfg.AdminEmail, password: r.cfg.AdminPassword}
	if !r.login(admin, "log in as the admin given") {
		return false
	}
	r.admin = admin
	return true
}

// cleanUp leaves everything the run made cancelled, archived or deactivated. It
// runs after the tour however far the tour got, and touches only the run's data.
func (r *runner) cleanUp() {
	for _, o := range r.orders {
		switch {
		case o.status == client.OrderStatusCancelled:
		case o.status == client.OrderStatusPending && o.owner.access != "":
			r.cancel(o, o.owner, "clean up: cancel the run's order")
		case r.admin != nil:
			r.cancel(o, r.admin, "clean up: staff cancel the run's order")
		}
	}
	if r.admin == nil && r.cfg.AdminEmail != "" && (r.alice != nil && r.alice.created) {
		// The tour stopped before the admin logged in; the clean-up still needs one.
		r.logInAdmin()
	}
	if r.admin == nil {
		if r.bob != nil && r.bob.created {
			call(r, "logoutUser", 204, "clean up: revoke bob's refresh token", func(ctx context.Context) (*client.LogoutUserResponse, error) {
				return r.c.LogoutUserWithResponse(ctx, client.LogoutUserJSONRequestBody{RefreshToken: r.bob.refresh})
			})
		}
		fmt.Fprintln(r.out, "note: without admin credentials the run's accounts stay active (logged out): only an admin may deactivate them")
		return
	}
	if len(r.products) > 0 {
		call(r, "archiveProduct", 403, "a customer may not archive", func(ctx context.Context) (*client.ArchiveProductResponse, error) {
			return r.c.ArchiveProductWithResponse(ctx, r.products[0].id, bearer(r.alice.access))
		})
	}
	for _, p := range r.products {
		if _, ok := call(r, "archiveProduct", 200, "clean up: archive "+p.sku, func(ctx context.Context) (*client.ArchiveProductResponse, error) {
			return r.c.ArchiveProductWithResponse(ctx, p.id, bearer(r.admin.access))
		}, func(res *client.ArchiveProductResponse) string {
			if res.JSON200 == nil || !res.JSON200.Data.Archived {
				return "the product is not archived"
			}
			return ""
		}); ok {
			p.archived = true
		}
	}
	for _, a := range []*actor{r.alice, r.bob} {
		if a == nil || !a.created {
			continue
		}
		if _, ok := call(r, "deactivateUser", 200, "clean up: deactivate "+a.label, func(ctx context.Context) (*client.DeactivateUserResponse, error) {
			return r.c.DeactivateUserWithResponse(ctx, a.id, bearer(r.admin.access))
		}, func(res *client.DeactivateUserResponse) string {
			if res.JSON200 == nil || res.JSON200.Data.Active {
				return "the account is still active"
			}
			return ""
		}); ok {
			a.deactivated = true
		}
	}
	if r.alice != nil && r.alice.deactivated {
		call(r, "getCurrentUser", 401, "a deactivated account is refused at once", func(ctx context.Context) (*client.GetCurrentUserResponse, error) {
			return r.c.GetCurrentUserWithResponse(ctx, bearer(r.alice.access))
		})
	}
	call(r, "logoutUser", 204, "clean up: end the admin's session", func(ctx context.Context) (*client.LogoutUserResponse, error) {
		return r.c.LogoutUserWithResponse(ctx, client.LogoutUserJSONRequestBody{RefreshToken: r.admin.refresh})
	})
}
