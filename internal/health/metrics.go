package health

import "github.com/prometheus/client_golang/prometheus"

// NewReadyCollector returns the zen_watcher_ready gauge: 1 when every
// check holds, which is when /ready answers 200, else 0. It is read at
// scrape time, so an alert sees the same answer the kubelet's probe gets
// without the probe's history being lost between scrapes.
func NewReadyCollector(r *Readiness) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "zen_watcher_ready",
		Help: "1 when the daemon is ready (every /ready condition holds), else 0.",
	}, func() float64 {
		if len(r.Missing()) == 0 {
			return 1
		}
		return 0
	})
}
