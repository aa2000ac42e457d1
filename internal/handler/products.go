package handler

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/shopfloor/shopfloor/internal/api"
	"github.com/shopfloor/shopfloor/internal/apperr"
	"github.com/shopfloor/shopfloor/internal/db"
)

const productNotFound = "No product has this id"

// etag is the product's version as a strong entity tag.
func etag(p db.Product) string { return `"` + strconv.Itoa(int(p.Version)) + `"` }

// etagMatches reports whether an If-None-Match or If-Match header names the current
// tag; it accepts "*", lists, and weak tags (W/"…") as RFC 9110 allows for reads.
func etagMatches(header, current string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == current {
			return true
		}
	}
	return false
}

// versionFromETag reads the version out of an If-Match header; -1 matches nothing.
func versionFromETag(header string) int32 {
	t := strings.Trim(strings.TrimSpace(header), `"`)
	v, err := strconv.ParseInt(t, 10, 32)
	if err != nil {
		return -1
	}
	return int32(v)
}

func toProduct(p db.Product) api.Product {
	return api.Product{
		Id:          p.ID,
		Sku:         p.Sku,
		Name:        p.Name,
		Description: p.Description,
		PriceCents:  p.PriceCents,
		Stock:       p.Stock,
		Archived:    p.ArchivedAt != nil,
		CreatedAt:   p.CreatedAt.UTC(),
		UpdatedAt:   p.UpdatedAt.UTC(),
	}
}

func requireStaff(ctx context.Context, what string) error {
	caller, err := callerOf(ctx)
	if err != nil {
		return err
	}
	if !caller.IsStaff() {
		return apperr.Forbidden("Only staff and admins may " + what)
	}
	return nil
}

// checkProductName trims a product name and checks the 2–120 character rule.
func checkProductName(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	if n := utf8.RuneCountInString(name); n < 2 || n > 120 {
		return name, apperr.Validation(apperr.Detail("name", api.Body, "must be 2 to 120 characters after trimming spaces"))
	}
	return name, nil
}

// ListProducts pages through live products; anyone may call it.
func (h *Handler) ListProducts(ctx context.Context, req api.ListProductsRequestObject) (api.ListProductsResponseObject, error) {
	p := req.Params
	if p.MinPriceCents != nil && p.MaxPriceCents != nil && *p.MinPriceCents > *p.MaxPriceCents {
		return nil, apperr.Validation(apperr.Detail("minPriceCents", api.Query, "must not exceed maxPriceCents"))
	}
	sort := api.ListProductsParamsSortMinusCreatedAt
	if p.Sort != nil {
		sort = *p.Sort
	}
	filter := db.ProductCountParams{
		Pattern:       likePattern(p.Q),
		MinPriceCents: p.MinPriceCents,
		MaxPriceCents: p.MaxPriceCents,
		InStock:       p.InStock,
		CountLimit:    countLimit,
	}
	r, err := h.listPage("products", string(sort), p.Page, p.Limit, p.Cursor, filter)
	if err != nil {
		return nil, err
	}
	rows, err := h.productPage(ctx, sort, filter, r)
	if err != nil {
		return nil, dbError(err, "")
	}
	total, fromCounter, err := pageTotal(len(rows), func() (int64, bool) { return rows[0].Total, rows[0].TotalFromCounter }, r,
		func() (db.ProductCountRow, error) { return h.q.ProductCount(ctx, filter) })
	if err != nil {
		return nil, err
	}
	n, pg := h.finish(r, len(rows), total, fromCounter, func(i int) (string, uuid.UUID) {
		return productSortKey(sort, rows[i].Product), rows[i].Product.ID
	})
	products := make([]api.Product, n)
	for i, r := range rows[:n] {
		products[i] = toProduct(r.Product)
	}
	return api.ListProducts200JSONResponse{Success: api.True, Data: products, Pagination: pg}, nil
}

// productSortKey is a product's value of the sort's leading key, as the list queries
// read a cursor's after_key.
func productSortKey(sort api.ListProductsParamsSort, p db.Product) string {
	switch sort {
	case api.ListProductsParamsSortName:
		return p.Name
	case api.ListProductsParamsSortPriceCents, api.ListProductsParamsSortMinusPriceCents:
		return strconv.FormatInt(p.PriceCents, 10)
	}
	return timeKey(p.CreatedAt)
}

type productRow struct {
	Product          db.Product
	Total            int64
	TotalFromCounter bool
}

// productRows converts any of the list queries' rows, which share one shape.
func productRows[R ~struct {
	Product          db.Product
	Total            int64
	TotalFromCounter bool
}](rows []R, err error) ([]productRow, error) {
	out := make([]productRow, len(rows))
	for i, r := range rows {
		out[i] = productRow(r)
	}
	return out, err
}

// productPage runs the list query for the sort asked for. Each sort is its own query
// so that each is served by its own index instead of sorting the whole table.
func (h *Handler) productPage(ctx context.Context, sort api.ListProductsParamsSort, f db.ProductCountParams, r pageReq) ([]productRow, error) {
	args := db.ProductListNewestParams{Pattern: f.Pattern, MinPriceCents: f.MinPriceCents,
		MaxPriceCents: f.MaxPriceCents, InStock: f.InStock, CountLimit: f.CountLimit,
		AfterKey: r.afterKey(), AfterID: r.afterID(), RowLimit: r.rowLimit(), RowOffset: r.offset}
	switch sort {
	case api.ListProductsParamsSortName:
		return productRows(h.q.ProductListByName(ctx, db.ProductListByNameParams(args)))
	case api.ListProductsParamsSortPriceCents:
		return productRows(h.q.ProductListByPrice(ctx, db.ProductListByPriceParams(args)))
	case api.ListProductsParamsSortMinusPriceCents:
		return productRows(h.q.ProductListByPriceDesc(ctx, db.ProductListByPriceDescParams(args)))
	}
	return productRows(h.q.ProductListNewest(ctx, args))
}

// GetProduct returns a product with its ETag, or 304 when the caller's copy is current.
func (h *Handler) GetProduct(ctx context.Context, req api.GetProductRequestObject) (api.GetProductResponseObject, error) {
	p, err := h.q.ProductGet(ctx, req.Id)
	if err != nil {
		return nil, dbError(err, productNotFound)
	}
	tag := etag(p)
	if inm := req.Params.IfNoneMatch; inm != nil && etagMatches(*inm, tag) {
		return api.GetProduct304Response{Headers: api.GetProduct304ResponseHeaders{ETag: &tag}}, nil
	}
	return api.GetProduct200JSONResponse{
		Body:    api.ProductEnvelope{Success: api.True, Data: toProduct(p)},
		Headers: api.GetProduct200ResponseHeaders{ETag: &tag},
	}, nil
}

// CreateProduct adds a product to the catalog.
func (h *Handler) CreateProduct(ctx context.Context, req api.CreateProductRequestObject) (api.CreateProductResponseObject, error) {
	if err := requireStaff(ctx, "create products"); err != nil {
		return nil, err
	}
	b := req.Body
	name, err := checkProductName(b.Name)
	if err != nil {
		return nil, err
	}
	desc := ""
	if b.Description != nil {
		desc = *b.Description
	}
	p, err := h.q.ProductCreate(ctx, db.ProductCreateParams{
		Sku: b.Sku, Name: name, Description: desc, PriceCents: b.PriceCents, Stock: b.Stock,
	})
	if err != nil {
		return nil, dbError(err, "")
	}
	h.Log.InfoContext(ctx, "product created", "productId", p.ID.String(), "sku", p.Sku)
	tag := etag(p)
	return api.CreateProduct201JSONResponse{
		Body:    api.ProductEnvelope{Success: api.True, Data: toProduct(p)},
		Headers: api.CreateProduct201ResponseHeaders{ETag: &tag},
	}, nil
}

// UpdateProduct changes the fields sent; with If-Match it refuses to overwrite a
// change the caller has not seen.
func (h *Handler) UpdateProduct(ctx context.Context, req api.UpdateProductRequestObject) (api.UpdateProductResponseObject, error) {
	if err := requireStaff(ctx, "change products"); err != nil {
		return nil, err
	}
	b := req.Body
	params := db.ProductUpdateParams{
		ID: req.Id, Sku: b.Sku, Description: b.Description, PriceCents: b.PriceCents, Stock: b.Stock,
	}
	if b.Name != nil {
		name, err := checkProductName(*b.Name)
		if err != nil {
			return nil, err
		}
		params.Name = &name
	}
	if im := req.Params.IfMatch; im != nil && strings.TrimSpace(*im) != "*" {
		v := versionFromETag(*im)
		params.ExpectedVersion = &v
	}
	p, err := h.q.ProductUpdate(ctx, params)
	if err != nil {
		err = dbError(err, productNotFound)
		if isNotFound(err) && params.ExpectedVersion != nil {
			// No row: either the product is gone or the version moved on.
			if _, getErr := h.q.ProductGet(ctx, req.Id); getErr == nil {
				return nil, &apperr.Error{Status: 412, Code: api.PRECONDITIONFAILED,
					Message: fmt.Sprintf("The product changed since ETag %s; fetch it again and retry", *req.Params.IfMatch)}
			}
		}
		return nil, err
	}
	h.Log.InfoContext(ctx, "product changed", "productId", p.ID.String())
	tag := etag(p)
	return api.UpdateProduct200JSONResponse{
		Body:    api.ProductEnvelope{Success: api.True, Data: toProduct(p)},
		Headers: api.UpdateProduct200ResponseHeaders{ETag: &tag},
	}, nil
}

// ArchiveProduct hides a product from the list and from new orders.
func (h *Handler) ArchiveProduct(ctx context.Context, req api.ArchiveProductRequestObject) (api.ArchiveProductResponseObject, error) {
	if err := requireStaff(ctx, "archive products"); err != nil {
		return nil, err
	}
	p, err := h.q.ProductArchive(ctx, req.Id)
	if err != nil {
		return nil, dbError(err, productNotFound)
	}
	h.Log.InfoContext(ctx, "product archived", "productId", p.ID.String())
	return api.ArchiveProduct200JSONResponse{Body: api.ProductEnvelope{Success: api.True, Data: toProduct(p)}}, nil
}
