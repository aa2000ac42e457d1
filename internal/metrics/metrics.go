// Package metrics holds the Prometheus collectors Shopfloor exposes at /metrics:
// requests by route and status, latency, requests in flight, the connection pool,
// query durations by sqlc query name, password checks (bcrypt) running, queued and
// shed, rate-limit rejections, and how orders are batched.
package metrics

import (
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics is one set of collectors on its own registry, so that tests can run
// several servers in one process without their figures mixing.
type Metrics struct {
	Registry    *prometheus.Registry
	Requests    *prometheus.CounterVec
	Latency     *prometheus.HistogramVec
	InFlight    prometheus.Gauge
	Queries     *prometheus.HistogramVec
	RateLimited *prometheus.CounterVec
	// OrderBatch counts the orders of each transaction that places orders: 1 but
	// under contention (internal/handler/placer.go).
	OrderBatch prometheus.Histogram
	// OrdersQueued is the number of orders waiting for the orders before them on the
	// same products to be placed.
	OrdersQueued prometheus.Gauge
}

// New makes the collectors, with the Go runtime and process collectors beside them.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shopfloor_http_requests_total",
			Help: "HTTP requests answered, by route template, method and status.",
		}, []string{"route", "method", "status"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shopfloor_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route template and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
		InFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "shopfloor_http_requests_in_flight",
			Help: "HTTP requests being answered right now.",
		}),
		Queries: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shopfloor_db_query_duration_seconds",
			Help:    "Time a SQL statement took, by sqlc query name.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5},
		}, []string{"query"}),
		RateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shopfloor_rate_limited_total",
			Help: "Requests refused with 429, by the limit they exceeded.",
		}, []string{"limit"}),
		OrderBatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "shopfloor_order_batch_size",
			Help:    "Orders placed by one transaction: more than one when orders queue for the same products.",
			Buckets: []float64{1, 2, 4, 8, 16, 32},
		}),
		OrdersQueued: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "shopfloor_orders_queued",
			Help: "Orders waiting for the orders before them on the same products to be placed.",
		}),
	}
	m.Registry.MustRegister(m.Requests, m.Latency, m.InFlight, m.Queries, m.RateLimited, m.OrderBatch, m.OrdersQueued,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveQuery records a statement's duration under its sqlc query name; it is the
// database pool's observer.
func (m *Metrics) ObserveQuery(name string, d time.Duration) {
	m.Queries.WithLabelValues(name).Observe(d.Seconds())
}

// PoolStats is what the pool gauges read; internal/database's Pool provides it.
type PoolStats interface {
	Stat() *pgxpool.Stat
	// Waiting is the number of requests waiting for a connection right now.
	Waiting() int64
}

// WatchPool exposes the pool's gauges: connections in total, idle, acquired, and
// requests waiting for one.
func (m *Metrics) WatchPool(pool PoolStats) {
	m.Registry.MustRegister(snapshot{
		series: seriesList{
			{"shopfloor_db_pool_connections", "Connections open in the pool.", prometheus.GaugeValue},
			{"shopfloor_db_pool_idle_connections", "Open connections not in use.", prometheus.GaugeValue},
			{"shopfloor_db_pool_acquired_connections", "Connections in use by a request.", prometheus.GaugeValue},
			{"shopfloor_db_pool_waiting_requests", "Requests waiting for a connection.", prometheus.GaugeValue},
			{"shopfloor_db_pool_max_connections", "The pool's bound (DB_MAX_CONNS).", prometheus.GaugeValue},
			{"shopfloor_db_pool_empty_acquires_total", "Acquires that had to wait for a connection.", prometheus.CounterValue},
		}.descs(),
		read: func() []float64 {
			s := pool.Stat()
			return []float64{float64(s.TotalConns()), float64(s.IdleConns()), float64(s.AcquiredConns()),
				float64(pool.Waiting()), float64(s.MaxConns()), float64(s.EmptyAcquireCount())}
		},
	})
}

// PasswordStats is what the password-check gauges read; internal/auth's Hasher
// provides it.
type PasswordStats interface {
	Running() int
	Waiting() int64
	Shed() int64
	MaxConcurrent() int
}

// WatchPasswordChecks exposes the bcrypt bound's gauges: checks running, checks
// queued for a slot, the bound itself (BCRYPT_MAX_CONCURRENT), and checks shed with
// 503 after BCRYPT_QUEUE_TIMEOUT. A queue that stays long, or a shed count that
// climbs, says logins need more CPU than they are given.
func (m *Metrics) WatchPasswordChecks(h PasswordStats) {
	m.Registry.MustRegister(snapshot{
		series: seriesList{
			{"shopfloor_password_checks_running", "bcrypt runs in progress.", prometheus.GaugeValue},
			{"shopfloor_password_checks_waiting", "Password checks queued for a bcrypt slot.", prometheus.GaugeValue},
			{"shopfloor_password_checks_max", "bcrypt runs allowed at once (BCRYPT_MAX_CONCURRENT).", prometheus.GaugeValue},
			{"shopfloor_password_checks_shed_total", "Password checks refused with 503 after BCRYPT_QUEUE_TIMEOUT.", prometheus.CounterValue},
		}.descs(),
		read: func() []float64 {
			return []float64{float64(h.Running()), float64(h.Waiting()), float64(h.MaxConcurrent()), float64(h.Shed())}
		},
	})
}

// series is one unlabelled gauge or counter of a snapshot.
type series struct {
	name, help string
	kind       prometheus.ValueType
}

type seriesList []series

func (l seriesList) descs() []seriesDesc {
	out := make([]seriesDesc, len(l))
	for i, s := range l {
		out[i] = seriesDesc{prometheus.NewDesc(s.name, s.help, nil, nil), s.kind}
	}
	return out
}

type seriesDesc struct {
	desc *prometheus.Desc
	kind prometheus.ValueType
}

// snapshot is a collector whose series are read together, once per scrape, so that
// they describe one moment (read returns one value per series, in order).
type snapshot struct {
	series []seriesDesc
	read   func() []float64
}

func (c snapshot) Describe(ch chan<- *prometheus.Desc) {
	for _, s := range c.series {
		ch <- s.desc
	}
}

func (c snapshot) Collect(ch chan<- prometheus.Metric) {
	for i, v := range c.read() {
		ch <- prometheus.MustNewConstMetric(c.series[i].desc, c.series[i].kind, v)
	}
}
