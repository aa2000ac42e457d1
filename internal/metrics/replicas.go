package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shopfloor/shopfloor/internal/database"
)

// ReplicaStats is what the replica series read; internal/database's Pool provides it.
type ReplicaStats interface {
	Replicas() []database.ReplicaState
	PrimaryMarkedReads() map[string]int64
}

// WatchReplicas exposes, per read replica (labelled host:port/database): whether it
// answers, whether it is in rotation, its lag, the reads sent to it and those it
// failed (answered by the primary instead); and the reads marked for replicas that
// the primary answered, by reason. Nothing is registered without replicas.
func (m *Metrics) WatchReplicas(s ReplicaStats) {
	if len(s.Replicas()) == 0 {
		return
	}
	m.Registry.MustRegister(replicaCollector{s})
}

var (
	replicaUp = prometheus.NewDesc("shopfloor_db_replica_up",
		"1 when the replica answered its last check as a standby in recovery.", []string{"replica"}, nil)
	replicaInRotation = prometheus.NewDesc("shopfloor_db_replica_in_rotation",
		"1 when the replica takes reads: up and at most REPLICA_MAX_LAG behind.", []string{"replica"}, nil)
	replicaLag = prometheus.NewDesc("shopfloor_db_replica_lag_seconds",
		"How long ago the primary had written WAL that the replica has not replayed.", []string{"replica"}, nil)
	replicaReads = prometheus.NewDesc("shopfloor_db_replica_reads_total",
		"Statements marked for replicas that were sent to this replica.", []string{"replica"}, nil)
	replicaFailovers = prometheus.NewDesc("shopfloor_db_replica_failovers_total",
		"Statements this replica failed that the primary then answered.", []string{"replica"}, nil)
	primaryMarkedReads = prometheus.NewDesc("shopfloor_db_primary_marked_reads_total",
		"Statements of read-only requests marked for replicas that the primary answered, by reason: "+
			"no_replica_in_rotation, read_after (none had replayed the client's write yet), replica_failed.",
		[]string{"reason"}, nil)
)

// replicaCollector reads every replica's state once per scrape.
type replicaCollector struct{ s ReplicaStats }

func (c replicaCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{replicaUp, replicaInRotation, replicaLag, replicaReads, replicaFailovers, primaryMarkedReads} {
		ch <- d
	}
}

func (c replicaCollector) Collect(ch chan<- prometheus.Metric) {
	flag := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	for _, r := range c.s.Replicas() {
		ch <- prometheus.MustNewConstMetric(replicaUp, prometheus.GaugeValue, flag(r.Up), r.Name)
		ch <- prometheus.MustNewConstMetric(replicaInRotation, prometheus.GaugeValue, flag(r.InRotation), r.Name)
		ch <- prometheus.MustNewConstMetric(replicaLag, prometheus.GaugeValue, r.Lag.Seconds(), r.Name)
		ch <- prometheus.MustNewConstMetric(replicaReads, prometheus.CounterValue, float64(r.Reads), r.Name)
		ch <- prometheus.MustNewConstMetric(replicaFailovers, prometheus.CounterValue, float64(r.Failovers), r.Name)
	}
	for reason, n := range c.s.PrimaryMarkedReads() {
		ch <- prometheus.MustNewConstMetric(primaryMarkedReads, prometheus.CounterValue, float64(n), reason)
	}
}
