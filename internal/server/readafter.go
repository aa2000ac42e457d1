package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shopfloor/shopfloor/internal/database"
)

// ReadAfterHeader carries read-your-writes across replicas: a successful write's
// response holds the primary's WAL position after its commit, and a read that sends
// it back is answered by a replica that has replayed that far, or by the primary.
//
// A header rather than a cookie or a per-user window of recent writes: it needs no
// state shared between instances (any instance can judge any replica by it), it
// works for anonymous readers of the catalog and for every client alike, browsers
// included, without ambient credentials, and it is exact: a read waits for the
// one write it must see, not for a guessed lag.
const ReadAfterHeader = "X-Read-After"

// readAfter routes read-only requests' marked reads to the replicas and hands each
// successful write its commit position. Without replicas it does nothing.
func readAfter(pool *database.Pool, log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if len(pool.Replicas()) == 0 {
			return next
		}
		return func(c echo.Context) error {
			req := c.Request()
			switch req.Method {
			case http.MethodGet, http.MethodHead:
				if lsn, ok := clientReadAfter(req); ok {
					c.SetRequest(req.WithContext(database.ReadFromReplicas(req.Context(), lsn)))
				}
			case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
				res := c.Response()
				res.Before(func() {
					if res.Status < 200 || res.Status >= 300 {
						return
					}
					// Every transaction of this request has committed (the
					// handler has finished), so the WAL position read now is past
					// each of them.
					ctx, cancel := context.WithTimeout(context.WithoutCancel(req.Context()), time.Second)
					defer cancel()
					lsn, err := pool.WriteLSN(ctx)
					if err != nil {
						log.WarnContext(ctx, "no X-Read-After for a write: the primary did not say its WAL position", "err", err.Error())
						return
					}
					res.Header().Set(ReadAfterHeader, lsn.String())
				})
			}
			return next(c)
		}
	}
}

// clientReadAfter reads the request's X-Read-After. Absent, the read may go to any
// replica in rotation; malformed (only on operations that do not declare it, as the
// validator refuses it on the others), it cannot be honoured, so it goes to the
// primary.
func clientReadAfter(req *http.Request) (database.LSN, bool) {
	v := req.Header.Get(ReadAfterHeader)
	if v == "" {
		return 0, true
	}
	lsn, err := database.ParseLSN(v)
	return lsn, err == nil
}
