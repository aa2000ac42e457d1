package client_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/shopfloor/shopfloor/client"
)

// A Go program logs in, then sends the access token with every call through a
// request editor. Expected errors come back typed: the envelope of each documented
// status has its own field.
func Example() {
	ctx := context.Background()
	c, err := client.NewClientWithResponses("http://localhost:8080")
	if err != nil {
		panic(err)
	}
	login, err := c.LoginUserWithResponse(ctx, client.LoginUserJSONRequestBody{
		Email: "alice@shopfloor.test", Password: "Customer-Demo-2026",
	})
	if err != nil {
		panic(err) // the server could not be reached
	}
	if login.JSON401 != nil {
		fmt.Println("refused:", login.JSON401.Error.Code, login.JSON401.Error.Message)
		return
	}
	token := login.JSON200.Data.Tokens.AccessToken
	bearer := func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	}

	// Every product in stock, page after page: each page's nextCursor, sent with the
	// same filters and limit, reads the next one at the cost of the first; it is
	// absent on the last page. (pagination.total is exact up to 10 000 matches; past
	// that it is 10 000 and pagination.totalExact is false.)
	inStock, limit := true, int32(100)
	params := client.ListProductsParams{InStock: &inStock, Limit: &limit}
	for {
		products, err := c.ListProductsWithResponse(ctx, &params, bearer)
		if err != nil || products.JSON200 == nil {
			panic(fmt.Sprint("list products: ", err))
		}
		for _, p := range products.JSON200.Data {
			fmt.Printf("%s %s %d\n", p.Sku, p.Name, p.PriceCents)
		}
		if products.JSON200.Pagination.NextCursor == nil {
			break
		}
		params.Cursor = products.JSON200.Pagination.NextCursor
	}
}
