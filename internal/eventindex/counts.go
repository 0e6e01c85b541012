package eventindex

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

var storedDesc = prometheus.NewDesc("zen_watcher_stored_events",
	"ZenAgentEvents stored in the cluster, by source and severity label, as seen by the event index.",
	[]string{"source", "severity"}, nil)

// countKey is one series of zen_watcher_stored_events.
type countKey struct{ source, severity string }

// counts keeps the number of cached events per source and severity, from
// the informer's notifications: a scrape reads a handful of numbers
// instead of walking every cached event, so it costs the same with 100
// events or 100,000.
type counts struct {
	mu sync.Mutex
	n  map[countKey]int
}

func newCounts() *counts { return &counts{n: map[countKey]int{}} }

func keyOf(obj any) (countKey, bool) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return countKey{}, false
	}
	return countKey{m.Labels[zenv1.LabelSource], m.Labels[zenv1.LabelSeverity]}, true
}

func (c *counts) change(obj any, delta int) {
	k, ok := keyOf(obj)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[k] += delta; c.n[k] <= 0 {
		delete(c.n, k) // a series whose events are all gone disappears
	}
}

// OnAdd implements cache.ResourceEventHandler.
func (c *counts) OnAdd(obj any, _ bool) { c.change(obj, 1) }

// OnUpdate implements cache.ResourceEventHandler; an event's source or
// severity label may have changed.
func (c *counts) OnUpdate(oldObj, newObj any) {
	ko, _ := keyOf(oldObj)
	kn, _ := keyOf(newObj)
	if ko != kn {
		c.change(oldObj, -1)
		c.change(newObj, 1)
	}
}

// OnDelete implements cache.ResourceEventHandler, tombstones included.
func (c *counts) OnDelete(obj any) { c.change(obj, -1) }

// Describe implements prometheus.Collector.
func (i *Index) Describe(ch chan<- *prometheus.Desc) { ch <- storedDesc }

// Collect implements prometheus.Collector from the counts kept by the
// informer's notifications.
func (i *Index) Collect(ch chan<- prometheus.Metric) {
	i.counts.mu.Lock()
	defer i.counts.mu.Unlock()
	for k, n := range i.counts.n {
		ch <- prometheus.MustNewConstMetric(storedDesc, prometheus.GaugeValue, float64(n), k.source, k.severity)
	}
}
