package contract

import (
	"context"
	"fmt"

	"github.com/shopfloor/shopfloor/client"
)

// ownStock is the stock of the products the run creates: enough for its orders,
// few enough that one order for more is refused.
const ownStock = 20

// browse reads the catalog as anyone may.
func (r *runner) browse() *client.ListProductsResponse {
	res, _ := call(r, "listProducts", 200, "browse products in stock", func(ctx context.Context) (*client.ListProductsResponse, error) {
		return r.c.ListProductsWithResponse(ctx, &client.ListProductsParams{Limit: ptr(int32(5)), InStock: ptr(true), Sort: ptr(client.ListProductsParamsSortName)})
	})
	return res
}

// ownCatalog makes the run's products as staff, and checks the catalog's rules on
// them: a taken SKU, a customer's attempt, conditional updates.
func (r *runner) ownCatalog() {
	for i := 1; i <= 2; i++ {
		p := &product{sku: fmt.Sprintf("%s%d", r.skuPrefix(), i)}
		res, ok := call(r, "createProduct", 201, "create "+p.sku, func(ctx context.Context) (*client.CreateProductResponse, error) {
			return r.c.CreateProductWithResponse(ctx, client.CreateProductJSONRequestBody{
				Sku: p.sku, Name: "Contract test product " + p.sku, Description: ptr("Made by the contract runner; archived when it ends."),
				PriceCents: 1250, Stock: ownStock}, bearer(r.admin.access))
		})
		if !ok || res.JSON201 == nil {
			continue
		}
		p.id, p.etag = res.JSON201.Data.Id, res.HTTPResponse.Header.Get("ETag")
		r.products = append(r.products, p)
		if r.liveProduct == nil {
			r.liveProduct, r.ownedProduct = &res.JSON201.Data, true
		}
	}
	if len(r.products) == 0 {
		return
	}
	p := r.products[0]
	call(r, "createProduct", 409, "the same SKU again is SKU_TAKEN", func(ctx context.Context) (*client.CreateProductResponse, error) {
		return r.c.CreateProductWithResponse(ctx, client.CreateProductJSONRequestBody{Sku: p.sku, Name: "Duplicate", PriceCents: 1, Stock: 0}, bearer(r.admin.access))
	}, hasCode[*client.CreateProductResponse](r, "SKU_TAKEN"))
	call(r, "createProduct", 403, "a customer may not", func(ctx context.Context) (*client.CreateProductResponse, error) {
		return r.c.CreateProductWithResponse(ctx, client.CreateProductJSONRequestBody{Sku: r.skuPrefix() + "9", Name: "Refused", PriceCents: 1, Stock: 0}, bearer(r.alice.access))
	})
	stale := p.etag
	res, ok := call(r, "updateProduct", 200, "change the price, If-Match the current ETag", func(ctx context.Context) (*client.UpdateProductResponse, error) {
		return r.c.UpdateProductWithResponse(ctx, p.id, &client.UpdateProductParams{IfMatch: ptr(p.etag)},
			client.UpdateProductJSONRequestBody{PriceCents: ptr(int64(1500))}, bearer(r.admin.access))
	}, func(res *client.UpdateProductResponse) string {
		if res.JSON200 == nil || res.JSON200.Data.PriceCents != 1500 {
			return "the price did not change"
		}
		return ""
	})
	if ok {
		p.etag = res.HTTPResponse.Header.Get("ETag")
		r.liveProduct = &res.JSON200.Data
	}
	call(r, "updateProduct", 412, "If-Match a stale ETag", func(ctx context.Context) (*client.UpdateProductResponse, error) {
		return r.c.UpdateProductWithResponse(ctx, p.id, &client.UpdateProductParams{IfMatch: ptr(stale)},
			client.UpdateProductJSONRequestBody{PriceCents: ptr(int64(1))}, bearer(r.admin.access))
	})
	call(r, "listProducts", 200, "find the run's products by SKU", func(ctx context.Context) (*client.ListProductsResponse, error) {
		return r.c.ListProductsWithResponse(ctx, &client.ListProductsParams{Q: ptr(r.skuPrefix())})
	}, func(res *client.ListProductsResponse) string {
		if res.JSON200 == nil || len(res.JSON200.Data) != len(r.products) {
			return fmt.Sprintf("want the run's %d products", len(r.products))
		}
		return ""
	})
}

// chooseProduct picks the product the orders name: the run's own, or without admin
// credentials a live product in stock (each order for it is for one unit, and is
// cancelled at once, so its stock returns).
func (r *runner) chooseProduct(browsed *client.ListProductsResponse) {
	if r.liveProduct == nil && browsed != nil && browsed.JSON200 != nil {
		for i, p := range browsed.JSON200.Data {
			if p.Stock >= 2 && !p.Archived {
				r.liveProduct = &browsed.JSON200.Data[i]
				break
			}
		}
	}
	if r.liveProduct == nil {
		s := Step{Operation: "createOrder", What: "find a product to order",
			Problem: "no product with stock to order: give admin credentials, or put a product in stock"}
		r.report.Steps = append(r.report.Steps, s)
		printStep(r.out, s)
		return
	}
	p := r.liveProduct
	res, _ := call(r, "getProduct", 200, "read the product to order", func(ctx context.Context) (*client.GetProductResponse, error) {
		return r.c.GetProductWithResponse(ctx, p.Id, nil)
	})
	if res == nil || res.HTTPResponse == nil {
		return
	}
	etag := res.HTTPResponse.Header.Get("ETag")
	call(r, "getProduct", 304, "If-None-Match its ETag", func(ctx context.Context) (*client.GetProductResponse, error) {
		return r.c.GetProductWithResponse(ctx, p.Id, &client.GetProductParams{IfNoneMatch: ptr(etag)})
	})
}
