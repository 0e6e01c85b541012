package retention

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// metrics are the collector's Prometheus series; the README lists them.
type metrics struct {
	deletions *prometheus.CounterVec // by reason: ttl, cap
	runs      *prometheus.CounterVec // by result: success, error
	lastRun   prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg) // a nil reg builds unregistered metrics
	m := &metrics{
		deletions: f.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_gc_deletions_total",
			Help: "ZenAgentEvents deleted by retention, by reason (ttl: last activity older than the TTL; cap: over the event cap).",
		}, []string{"reason"}),
		runs: f.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_gc_runs_total",
			Help: "Retention runs completed, by result (success or error).",
		}, []string{"result"}),
		lastRun: f.NewGauge(prometheus.GaugeOpts{
			Name: "zen_watcher_gc_last_run_timestamp_seconds",
			Help: "Unix time at which the last retention run ended, successful or not.",
		}),
	}
	// Every label value exists from the start, so rate() and absent()
	// work before the first deletion or failure.
	for _, r := range []Reason{ReasonTTL, ReasonCap} {
		m.deletions.WithLabelValues(string(r))
	}
	m.runs.WithLabelValues("success")
	m.runs.WithLabelValues("error")
	return m
}
