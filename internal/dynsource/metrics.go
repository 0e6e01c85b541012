package dynsource

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"
)

// Metrics are the per-source series, labelled namespace and name; a
// deleted source's series are removed with it, so they stay bounded by the
// sources that exist.
type Metrics struct {
	ready    *prometheus.GaugeVec
	requests *prometheus.CounterVec
	items    *prometheus.CounterVec
}

// Outcomes of an item, the outcome label of zen_watcher_zensource_items_total.
const (
	outcomeReceived = "received"
	outcomeStored   = "stored"
	outcomeFiltered = "filtered"
)

// NewMetrics registers the collectors with reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		ready: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "zen_watcher_zensource_ready",
			Help: "1 when a ZenSource is in effect on this replica (its Ready condition is True), 0 otherwise, by namespace and name.",
		}, []string{"namespace", "name"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_zensource_requests_total",
			Help: "Requests to a ZenSource webhook answered by this replica, by namespace, name and HTTP status code.",
		}, []string{"namespace", "name", "code"}),
		items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_zensource_items_total",
			Help: "Items of ZenSource webhook bodies accepted by this replica, by namespace, name and outcome: received, stored (handed on to be stored), filtered (dropped by the mapping's filter), or rejected:<reason> (mapping-error, cost-limit, wrong-type, unknown-value, missing-field, other-namespace).",
		}, []string{"namespace", "name", "outcome"}),
	}
	if reg != nil {
		reg.MustRegister(m.ready, m.requests, m.items)
	}
	return m
}

func (m *Metrics) setReady(key types.NamespacedName, ready bool) {
	v := 0.0
	if ready {
		v = 1
	}
	m.ready.WithLabelValues(key.Namespace, key.Name).Set(v)
}

func (m *Metrics) answer(key types.NamespacedName, code int) {
	m.requests.WithLabelValues(key.Namespace, key.Name, strconv.Itoa(code)).Inc()
}

func (m *Metrics) item(key types.NamespacedName, outcome string, n int) {
	if n > 0 {
		m.items.WithLabelValues(key.Namespace, key.Name, outcome).Add(float64(n))
	}
}

// forget removes every series of a deleted source.
func (m *Metrics) forget(key types.NamespacedName) {
	l := prometheus.Labels{"namespace": key.Namespace, "name": key.Name}
	m.ready.DeletePartialMatch(l)
	m.requests.DeletePartialMatch(l)
	m.items.DeletePartialMatch(l)
}
