package filewatch

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Interval is how often a Watcher re-reads its files in the daemon.
const Interval = 10 * time.Second

// Reloader is a File of any value type, as a Watcher keeps it.
type Reloader interface {
	What() string
	Paths() []string
	reload() (changed bool, err error)
}

// Metrics count the reloads of every Watcher, by the file label (a File's
// what).
type Metrics struct {
	reloads *prometheus.CounterVec // zen_watcher_file_reloads_total{file}
	errors  *prometheus.CounterVec // zen_watcher_file_reload_errors_total{file}
}

// NewMetrics registers the collectors with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_file_reloads_total",
			Help: "Credential and TLS files whose changed contents were loaded while serving, by file.",
		}, []string{"file"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_file_reload_errors_total",
			Help: "Re-reads of credential and TLS files that failed (unreadable or invalid); the last good contents stay in use.",
		}, []string{"file"}),
	}
	reg.MustRegister(m.reloads, m.errors)
	return m
}

// Watcher re-reads files every interval; see the package documentation
// for the policy.
type Watcher struct {
	interval time.Duration
	metrics  *Metrics
	log      *slog.Logger
	files    []Reloader
}

// NewWatcher returns a Watcher of no files; Add them, then Run it.
func NewWatcher(interval time.Duration, m *Metrics, log *slog.Logger) *Watcher {
	return &Watcher{interval: interval, metrics: m, log: log}
}

// Add makes the Watcher keep files current; call it before Run.
func (w *Watcher) Add(files ...Reloader) {
	w.files = append(w.files, files...)
	for _, f := range files {
		// Present from the start, so that a rate over them is defined.
		w.metrics.reloads.WithLabelValues(f.What())
		w.metrics.errors.WithLabelValues(f.What())
	}
}

// Run re-reads the files every interval until ctx ends.
func (w *Watcher) Run(ctx context.Context) {
	if len(w.files) == 0 {
		return
	}
	tick := time.NewTicker(w.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, f := range w.files {
			w.check(f)
		}
	}
}

func (w *Watcher) check(f Reloader) {
	switch changed, err := f.reload(); {
	case err != nil:
		w.metrics.errors.WithLabelValues(f.What()).Inc()
		w.log.Warn("keeping the loaded file contents", "what", f.What(), "files", f.Paths(), "error", err.Error())
	case changed:
		w.metrics.reloads.WithLabelValues(f.What()).Inc()
		w.log.Info("file reloaded", "what", f.What(), "files", f.Paths())
	}
}
