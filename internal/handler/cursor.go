package handler

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/shopfloor/shopfloor/internal/api"
	"github.com/shopfloor/shopfloor/internal/apperr"
)

// maxPageDepth is how many rows page numbers reach (page × limit); deeper pages are
// read by cursor (openapi.yaml, parameter Page). It is also where a filtered list
// stops counting: countLimit asks the database for one row more, to know whether
// more match.
const (
	maxPageDepth = 10000
	countLimit   = maxPageDepth + 1
)

// A cursor names the row a page ended on, for a list with given filters, sort and
// limit, and the number of the page that follows it. It travels as base64url of its
// JSON and an HMAC of that JSON, so that a cursor the API did not issue, or one
// changed on the way, is refused rather than read as another position.
type cursor struct {
	Sort   string    `json:"s"`
	Scope  string    `json:"f"` // fingerprint of the list, filters and limit
	Page   int32     `json:"p"` // the page this cursor opens
	Key    string    `json:"k"` // the sort key of the last row, as the query's text
	LastID uuid.UUID `json:"i"`
}

const cursorMACSize = 12

// CursorKey derives the key that signs cursors from the token secret, so that every
// replica of a deployment accepts the others' cursors without a setting of its own,
// and the token secret itself signs nothing but tokens.
func CursorKey(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("shopfloor list cursor v1"))
	return m.Sum(nil)
}

// encodeCursor signs and encodes c.
func (h *Handler) encodeCursor(c cursor) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(c) // a struct of strings, numbers and a UUID always encodes
	payload := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	return base64.RawURLEncoding.EncodeToString(append(payload, h.cursorMAC(payload)...))
}

func (h *Handler) cursorMAC(payload []byte) []byte {
	m := hmac.New(sha256.New, h.CursorKey)
	m.Write(payload)
	return m.Sum(nil)[:cursorMACSize]
}

// decodeCursor reads a cursor the API issued, or says why it cannot.
func (h *Handler) decodeCursor(s string) (cursor, bool) {
	var c cursor
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) <= cursorMACSize {
		return c, false
	}
	payload, mac := raw[:len(raw)-cursorMACSize], raw[len(raw)-cursorMACSize:]
	if !hmac.Equal(mac, h.cursorMAC(payload)) {
		return c, false
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || c.Page < 2 || c.LastID == uuid.Nil {
		return c, false
	}
	return c, true
}

// pageReq is where a list page starts: at an offset (by page number) or after the
// row a cursor names, plus what the next page's cursor must carry.
type pageReq struct {
	page, limit, offset int32
	after               *cursor
	sort, scope         string
}

// afterKey and afterID are the keyset arguments of the list queries: both nil on a
// page asked for by number.
func (r pageReq) afterKey() *string {
	if r.after == nil {
		return nil
	}
	return &r.after.Key
}

func (r pageReq) afterID() *uuid.UUID {
	if r.after == nil {
		return nil
	}
	return &r.after.LastID
}

// rowLimit is the LIMIT the list queries get: one row more than the page holds, which
// tells whether a next page exists without counting.
func (r pageReq) rowLimit() int32 { return r.limit + 1 }

// listPage reads page, limit and cursor for one list request. list names the list,
// sort is the sort in force, and filters every filter value the request applies
// (the caller's own id where the server imposes it): a cursor is only valid for the
// same list, filters, sort and limit.
func (h *Handler) listPage(list, sort string, page, limit *int32, cur *string, filters any) (pageReq, error) {
	r := pageReq{page: 1, limit: 20, sort: sort}
	if limit != nil {
		r.limit = *limit
	}
	scope, err := json.Marshal([]any{list, r.limit, filters})
	if err != nil {
		return r, apperr.Internal(fmt.Errorf("fingerprint the filters of %s: %w", list, err))
	}
	sum := sha256.Sum256(scope)
	r.scope = base64.RawURLEncoding.EncodeToString(sum[:6])
	if cur == nil {
		if page != nil {
			r.page = *page
		}
		if int64(r.page)*int64(r.limit) > maxPageDepth {
			return r, apperr.Validation(apperr.Detail("page", api.Query, fmt.Sprintf(
				"page × limit may reach at most %d rows; to read further, send the previous page's pagination.nextCursor as cursor", maxPageDepth)))
		}
		r.offset = (r.page - 1) * r.limit
		return r, nil
	}
	if page != nil {
		return r, apperr.Validation(apperr.Detail("cursor", api.Query,
			"cannot be combined with page (the cursor already names its page); send one or the other"))
	}
	c, ok := h.decodeCursor(*cur)
	switch {
	case !ok:
		return r, apperr.Validation(apperr.Detail("cursor", api.Query,
			"is not a cursor this API issued, or it was altered; send pagination.nextCursor unchanged, or start again without cursor"))
	case c.Sort != sort:
		return r, apperr.Validation(apperr.Detail("cursor", api.Query, fmt.Sprintf(
			"was issued for sort=%s; send that sort with it, or start again without cursor", c.Sort)))
	case c.Scope != r.scope:
		return r, apperr.Validation(apperr.Detail("cursor", api.Query,
			"was issued for other filters or another limit; send the same ones as the request that returned it, or start again without cursor"))
	}
	r.page, r.after = c.Page, &c
	return r, nil
}

// finish cuts the extra row off a page of n rows (see rowLimit) and builds the
// envelope's pagination: the total as the query reported it (capped unless it came
// from a maintained counter) and, when a row follows, the next page's cursor made
// from the last row's sort key and id.
func (h *Handler) finish(r pageReq, n int, total int64, fromCounter bool, last func(i int) (string, uuid.UUID)) (int, api.Pagination) {
	exact := fromCounter || total <= maxPageDepth
	if !exact {
		total = maxPageDepth
	}
	p := api.Pagination{Page: r.page, Limit: r.limit, Total: total, TotalExact: exact,
		Pages: int32((total + int64(r.limit) - 1) / int64(r.limit))}
	if n > int(r.limit) {
		n = int(r.limit)
		key, id := last(n - 1)
		next := h.encodeCursor(cursor{Sort: r.sort, Scope: r.scope, Page: r.page + 1, Key: key, LastID: id})
		p.NextCursor = &next
	}
	return n, p
}
