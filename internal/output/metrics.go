package output

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"k8s.io/apimachinery/pkg/types"
)

// metrics are the engine's Prometheus series, one set per output,
// labelled namespace and name and removed with the output; the README
// lists them.
type metrics struct {
	delivered *prometheus.CounterVec
	failed    *prometheus.CounterVec
	retries   *prometheus.CounterVec
	dropped   *prometheus.CounterVec
	backlog   *prometheus.GaugeVec
	latency   *prometheus.HistogramVec
	writes    *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	labels := []string{"namespace", "name"}
	return &metrics{
		delivered: f.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_output_delivered_total",
			Help: "Findings a ZenOutput's receiver accepted (2xx).",
		}, labels),
		failed: f.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_output_failed_total",
			Help: "Findings a ZenOutput's receiver refused for good (a 4xx other than 408 and 429), or that could not be rendered; not retried.",
		}, labels),
		retries: f.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_output_retries_total",
			Help: "Batches sent again after a failure that may pass (a 5xx, 408, 429 or a network error).",
		}, labels),
		dropped: f.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_output_dropped_total",
			Help: "Deliveries a ZenOutput's full backlog (BacklogSize, 10,000) gave up, the oldest of the lowest severity first.",
		}, labels),
		backlog: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "zen_watcher_output_backlog",
			Help: "Deliveries waiting for a ZenOutput's receiver, in flight included.",
		}, labels),
		latency: f.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "zen_watcher_output_delivery_latency_seconds",
			Help:    "Time from a finding's change reaching the API server to its receiver's 2xx.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800},
		}, labels),
		writes: f.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_output_status_writes_total",
			Help: "ZenOutput status updates the engine made: counters, conditions and the delivery watermark, coalesced.",
		}, labels),
	}
}

// init creates every series of one output, so that rate() works before
// its first delivery.
func (m *metrics) init(k types.NamespacedName) {
	for _, v := range []*prometheus.CounterVec{m.delivered, m.failed, m.retries, m.dropped, m.writes} {
		v.WithLabelValues(k.Namespace, k.Name)
	}
	m.backlog.WithLabelValues(k.Namespace, k.Name)
}

// remove deletes every series of one output.
func (m *metrics) remove(k types.NamespacedName) {
	for _, v := range []*prometheus.CounterVec{m.delivered, m.failed, m.retries, m.dropped, m.writes} {
		v.DeleteLabelValues(k.Namespace, k.Name)
	}
	m.backlog.DeleteLabelValues(k.Namespace, k.Name)
	m.latency.DeleteLabelValues(k.Namespace, k.Name)
}
