package watcher

import (
	"context"
	"errors"
	"io"

	"github.com/prometheus/client_golang/prometheus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// States of a pull source, as /api/v1/tools and the logs name them.
const (
	// StateWatching: every watch of the source has listed and is watching.
	StateWatching = "watching"
	// StateSyncing: a watch is still loading its first list.
	StateSyncing = "syncing"
	// StateFailing: a list or watch fails, e.g. forbidden by RBAC. The
	// informer retries with backoff and recovers by itself.
	StateFailing = "failing"
	// StateNotInstalled: none of the source's report resources is served.
	StateNotInstalled = "not-installed"
)

// Status is one pull source's state; Err says why it is failing or, while
// syncing, what it waits for.
type Status struct {
	Source string
	State  string
	Err    error
}

// Up reports whether the source works as configured: it watches, or has
// nothing to watch because its tool is not installed.
func (s Status) Up() bool { return s.State == StateWatching || s.State == StateNotInstalled }

// watchFailure records the last list or watch error of one informer, and
// the resource version it had then: once the informer moves past that
// version, it has listed or watched successfully again.
type watchFailure struct {
	err error
	rv  string
}

// benignWatchEnd reports whether err is a watch ending as watches do: closed
// by the server, or expired and about to be resumed by a list.
func benignWatchEnd(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		apierrors.IsResourceExpired(err) || apierrors.IsGone(err) || errors.Is(err, context.Canceled)
}

// UpCollector exports zen_watcher_source_up{source} from statuses, read at
// each scrape so that it is never stale. statuses returns nothing on a
// replica that does not run the pull sources.
type UpCollector struct {
	statuses func() []Status
}

var upDesc = prometheus.NewDesc("zen_watcher_source_up",
	"1 when the pull source lists and watches all it should (or its tool is not installed), 0 while it syncs or a list or watch fails, e.g. forbidden. Only on the leader.",
	[]string{"source"}, nil)

// NewUpCollector builds the collector; register it once.
func NewUpCollector(statuses func() []Status) *UpCollector { return &UpCollector{statuses: statuses} }

// Describe sends the one metric's description.
func (c *UpCollector) Describe(ch chan<- *prometheus.Desc) { ch <- upDesc }

// Collect sends one sample per source.
func (c *UpCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.statuses() {
		v := 0.0
		if s.Up() {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, v, s.Source)
	}
}
