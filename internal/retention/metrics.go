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
	// storedBytes is the approximate serialized size of the events in
	// scope after the last run.
	storedBytes prometheus.Gauge
	// The caps as series, so an alert can compare the stored amounts
	// with them: "near the cap" needs both numbers.
	maxEvents, maxStoredBytes prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer, maxEvents int, maxStoredBytes int64) *metrics {
	f := promauto.With(reg) // a nil reg builds unregistered metrics
	m := &metrics{
		deletions: f.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_gc_deletions_total",
			Help: "ZenAgentEvents deleted by retention, by reason (ttl: last activity older than the TTL; cap: over MAX_EVENTS; bytes: over MAX_STORED_BYTES).",
		}, []string{"reason"}),
		runs: f.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_gc_runs_total",
			Help: "Retention runs completed, by result (success or error).",
		}, []string{"result"}),
		lastRun: f.NewGauge(prometheus.GaugeOpts{
			Name: "zen_watcher_gc_last_run_timestamp_seconds",
			Help: "Unix time at which the last retention run ended, successful or not.",
		}),
		storedBytes: f.NewGauge(prometheus.GaugeOpts{
			Name: "zen_watcher_stored_bytes",
			Help: "Approximate serialized size of the stored ZenAgentEvents (their JSON), as of the last retention run.",
		}),
		maxEvents: f.NewGauge(prometheus.GaugeOpts{
			Name: "zen_watcher_max_events",
			Help: "The cap on stored events (MAX_EVENTS); 0 means no cap.",
		}),
		maxStoredBytes: f.NewGauge(prometheus.GaugeOpts{
			Name: "zen_watcher_max_stored_bytes",
			Help: "The cap on the stored events' serialized size (MAX_STORED_BYTES); 0 means no cap.",
		}),
	}
	m.maxEvents.Set(float64(maxEvents))
	m.maxStoredBytes.Set(float64(maxStoredBytes))
	// Every label value exists from the start, so rate() and absent()
	// work before the first deletion or failure.
	for _, r := range []Reason{ReasonTTL, ReasonCap, ReasonBytes} {
		m.deletions.WithLabelValues(string(r))
	}
	m.runs.WithLabelValues("success")
	m.runs.WithLabelValues("error")
	return m
}
