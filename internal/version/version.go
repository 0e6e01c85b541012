// Package version carries the build's identity, stamped in by the linker,
// and exposes it as the zen_watcher_build_info metric.
package version

import (
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
)

// Set with -ldflags "-X github.com/kube-zen/zen-watcher/internal/version.Version=…".
var (
	// Version is the release, e.g. v0.1.0; "dev" for an unstamped build.
	Version = "dev"
	// Revision is the source commit the binary was built from.
	Revision = "unknown"
)

// String is the human-readable identity used in --version and the user agent.
func String() string {
	return Version + " (" + Revision + ", " + runtime.Version() + ")"
}

// NewBuildInfoCollector returns the constant zen_watcher_build_info gauge,
// whose labels say what is running.
func NewBuildInfoCollector() prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "zen_watcher_build_info",
		Help:        "Always 1; the labels identify the running build.",
		ConstLabels: prometheus.Labels{"version": Version, "revision": Revision, "goversion": runtime.Version()},
	})
	g.Set(1)
	return g
}
