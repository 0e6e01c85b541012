package app

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"

	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/checkov"
	"github.com/kube-zen/zen-watcher/internal/source/configmap"
	"github.com/kube-zen/zen-watcher/internal/source/kubebench"
)

// Sources are the daemon's pull sources, built but not yet started.
type Sources struct {
	watchers    []*source.Watcher
	broadcaster events.EventBroadcaster
}

// NewSources builds every source the configuration enables. A tool whose
// namespace lies outside WATCH_NAMESPACE is left off, and the log says so.
func NewSources(cfg config.Config, rc *rest.Config, submit source.Submitter, reg prometheus.Registerer, log *slog.Logger) (*Sources, error) {
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	b := events.NewBroadcaster(&events.EventSinkImpl{Interface: cs.EventsV1()})
	recorder := b.NewRecorder(clientgoscheme.Scheme, "zen-watcher")
	m := source.NewMetrics(reg)
	s := &Sources{broadcaster: b}
	for _, tool := range []configmap.Tool{
		kubebench.ConfigMapTool(cfg.ToolNamespaces.KubeBench, cfg.KubeBenchSelector, cfg.KubeBenchResults),
		checkov.ConfigMapTool(cfg.ToolNamespaces.Checkov, cfg.CheckovSelector),
	} {
		if cfg.WatchNamespace != "" && cfg.WatchNamespace != tool.Namespace {
			log.Info("source off: its namespace is outside WATCH_NAMESPACE", "source", tool.Name, "namespace", tool.Namespace, "watchNamespace", cfg.WatchNamespace)
			continue
		}
		s.watchers = append(s.watchers, configmap.New(tool, cs, submit, recorder, m, log))
	}
	return s, nil
}

// Run starts every source and returns once ctx ends and they have stopped.
func (s *Sources) Run(ctx context.Context) {
	if err := s.broadcaster.StartRecordingToSinkWithContext(ctx); err == nil {
		defer s.broadcaster.Shutdown()
	}
	done := make(chan struct{}, len(s.watchers))
	for _, w := range s.watchers {
		go func() { w.Run(ctx); done <- struct{}{} }()
	}
	for range s.watchers {
		<-done
	}
}

// HasSynced reports whether every source has loaded its initial list.
func (s *Sources) HasSynced() bool {
	for _, w := range s.watchers {
		if !w.HasSynced() {
			return false
		}
	}
	return true
}
