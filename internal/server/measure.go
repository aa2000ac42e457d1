package server

import (
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// measure records every request in the Prometheus collectors by route template (not
// raw path, which would make a series per id) once the response is written.
func (s *Server) measure(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		s.metrics.InFlight.Inc()
		defer s.metrics.InFlight.Dec()
		err := next(c)
		route := c.Path()
		if s.ops.lookup(c) == nil {
			route = "unmatched"
		}
		method := c.Request().Method
		s.metrics.Requests.WithLabelValues(route, method, strconv.Itoa(c.Response().Status)).Inc()
		s.metrics.Latency.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
		return err
	}
}
