package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// Echo wraps its middleware around the matched handler on every request, one
// closure per middleware and request. The server's chain is wrapped around each
// route's handler once, when the route is registered (chainedRouter), and around
// the handlers of requests that match no operation (not found, method not allowed,
// a CORS preflight) by unrouted, per request, as Echo would.

// chain wraps h in middleware, the first outermost, as Echo's Use orders them.
func chain(h echo.HandlerFunc, middleware []echo.MiddlewareFunc) echo.HandlerFunc {
	for i := len(middleware) - 1; i >= 0; i-- {
		h = middleware[i](h)
	}
	return h
}

// unrouted runs the chain around the handler Echo chose for a request that
// matched no operation; a route's handler has it already.
func unrouted(ops operations, middleware []echo.MiddlewareFunc) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if ops.lookup(c) != nil {
				return next(c)
			}
			return chain(next, middleware)(c)
		}
	}
}

// chainedRouter registers the generated routes on Echo with the middleware chain
// (and any per-operation middleware inside it) wrapped around each handler once.
type chainedRouter struct {
	e          *echo.Echo
	middleware []echo.MiddlewareFunc
}

func (r chainedRouter) add(method, path string, h echo.HandlerFunc, m []echo.MiddlewareFunc) *echo.Route {
	return r.e.Add(method, path, chain(chain(h, m), r.middleware))
}

func (r chainedRouter) CONNECT(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.add(http.MethodConnect, path, h, m)
}

func (r chainedRouter) DELETE(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.add(http.MethodDelete, path, h, m)
}

func (r chainedRouter) GET(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.add(http.MethodGet, path, h, m)
}

func (r chainedRouter) HEAD(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.add(http.MethodHead, path, h, m)
}

func (r chainedRouter) OPTIONS(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.add(http.MethodOptions, path, h, m)
}

func (r chainedRouter) PATCH(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.add(http.MethodPatch, path, h, m)
}

func (r chainedRouter) POST(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.add(http.MethodPost, path, h, m)
}

func (r chainedRouter) PUT(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.add(http.MethodPut, path, h, m)
}

func (r chainedRouter) TRACE(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.add(http.MethodTrace, path, h, m)
}
