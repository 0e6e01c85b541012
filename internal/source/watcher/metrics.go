package watcher

import "github.com/prometheus/client_golang/prometheus"

// Metrics are shared by every source; the source label tells them apart.
type Metrics struct {
	Errors   *prometheus.CounterVec // zen_watcher_source_errors_total{source,reason}
	Findings *prometheus.CounterVec // zen_watcher_source_findings_total{source}
}

// NewMetrics registers the collectors with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_source_errors_total",
			Help: "Source payloads refused or parts skipped, by source and reason.",
		}, []string{"source", "reason"}),
		Findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_source_findings_total",
			Help: "Findings and resolutions handed to the pipeline, by source.",
		}, []string{"source"}),
	}
	reg.MustRegister(m.Errors, m.Findings)
	return m
}
