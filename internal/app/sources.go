package app

import (
	"context"
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/dynsource/watch"
	"github.com/kube-zen/zen-watcher/internal/eventindex"
	"github.com/kube-zen/zen-watcher/internal/pipeline"
	"github.com/kube-zen/zen-watcher/internal/source/checkov"
	"github.com/kube-zen/zen-watcher/internal/source/configmap"
	"github.com/kube-zen/zen-watcher/internal/source/kubebench"
	"github.com/kube-zen/zen-watcher/internal/source/kyverno"
	"github.com/kube-zen/zen-watcher/internal/source/reports"
	"github.com/kube-zen/zen-watcher/internal/source/trivy"
	"github.com/kube-zen/zen-watcher/internal/source/watcher"
	"github.com/kube-zen/zen-watcher/internal/tools"
)

// Sources are the daemon's pull sources and tool detection, built but not
// yet started.
type Sources struct {
	configMaps  []*watcher.Watcher
	reports     *reports.Manager
	Detector    *tools.Detector
	broadcaster events.EventBroadcaster
	cfg         config.Config
	// watch is what the ZenSource watch sources share with the pull
	// sources; watches runs them once set.
	watch   watch.Options
	watches *watch.Runner
}

// storedPageSize bounds each page of stored events a source reads when it
// rebuilds its state: rows of metadata, a few hundred bytes each.
const storedPageSize = 500

// NewSources builds every source the configuration enables. A ConfigMap
// tool whose namespace lies outside WATCH_NAMESPACE is left off, and the log
// says so; report kinds are watched within WATCH_NAMESPACE.
func NewSources(cfg config.Config, rc *rest.Config, submit *pipeline.Pipeline, reg prometheus.Registerer, log *slog.Logger) (*Sources, error) {
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(withTimeout(rc))
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	stored, err := eventindex.NewStoredLister(rc, storedPageSize)
	if err != nil {
		return nil, err
	}
	b := events.NewBroadcaster(&events.EventSinkImpl{Interface: cs.EventsV1()})
	recorder := b.NewRecorder(clientgoscheme.Scheme, "zen-watcher")
	m := watcher.NewMetrics(reg)
	s := &Sources{broadcaster: b, cfg: cfg,
		watch: watch.Options{Discovery: disc, Dynamic: dyn, Pipeline: submit, Stored: stored, Metrics: m, Log: log.With("component", "watch-sources")}}
	for _, tool := range []configmap.Tool{
		kubebench.ConfigMapTool(cfg.ToolNamespaces.KubeBench, cfg.KubeBenchSelector, cfg.KubeBenchResults),
		checkov.ConfigMapTool(cfg.ToolNamespaces.Checkov, cfg.CheckovSelector),
	} {
		if cfg.WatchNamespace != "" && cfg.WatchNamespace != tool.Namespace {
			log.Info("source off: its namespace is outside WATCH_NAMESPACE", "source", tool.Name, "namespace", tool.Namespace, "watchNamespace", cfg.WatchNamespace)
			continue
		}
		s.configMaps = append(s.configMaps, configmap.New(tool, cs, submit, stored, recorder, m, log))
	}
	trivyKinds, kyvernoKinds := trivy.Kinds(zenv1.Severity(cfg.TrivyMinSeverity)), kyverno.Kinds(cfg.KyvernoResults)
	s.reports = reports.New(append(trivyKinds, kyvernoKinds...), disc, dyn, cfg.WatchNamespace, cfg.WatchInterval, submit, stored, m, log)
	s.Detector = tools.New([]tools.Tool{
		{Name: trivy.SourceName, Namespace: cfg.ToolNamespaces.Trivy, CRDs: gvrs(trivyKinds)},
		{Name: kyverno.SourceName, Namespace: cfg.ToolNamespaces.Kyverno, CRDs: gvrs(kyvernoKinds)},
		{Name: "falco", Namespace: cfg.ToolNamespaces.Falco},
		{Name: kubebench.SourceName, Namespace: cfg.ToolNamespaces.KubeBench},
		{Name: checkov.SourceName, Namespace: cfg.ToolNamespaces.Checkov},
	}, cs, s.reports.Served, reg, log)
	return s, nil
}

// Run starts every source and tool detection, and returns once ctx ends
// and they have stopped.
func (s *Sources) Run(ctx context.Context) {
	if err := s.broadcaster.StartRecordingToSinkWithContext(ctx); err == nil {
		defer s.broadcaster.Shutdown()
	}
	var wg sync.WaitGroup
	for _, w := range s.configMaps {
		wg.Go(func() { w.Run(ctx) })
	}
	wg.Go(func() { s.reports.Run(ctx) })
	wg.Go(func() { s.Detector.Run(ctx, s.cfg.WatchInterval) })
	if s.watches != nil {
		wg.Go(func() { _ = s.watches.Run(ctx) })
	}
	wg.Wait()
}

// WatchOptions are the options of the ZenSource watch sources that the
// pull sources share with them: clients, the pipeline, the stored events
// and the source metrics.
func (s *Sources) WatchOptions() watch.Options { return s.watch }

// SetWatches makes Run run the ZenSource watch sources too, on the leader,
// once the event index has synced; call it before Run.
func (s *Sources) SetWatches(r *watch.Runner) { s.watches = r }

// Statuses reports the state of every pull source.
func (s *Sources) Statuses() []watcher.Status {
	out := s.reports.Statuses()
	for _, w := range s.configMaps {
		out = append(out, w.State())
	}
	return out
}

// Status reports the state of one pull source; ok is false for a name no
// pull source has.
func (s *Sources) Status(name string) (st watcher.Status, ok bool) {
	for _, st := range s.Statuses() {
		if st.Source == name {
			return st, true
		}
	}
	return watcher.Status{}, false
}

// HasSynced reports whether every source has loaded its first lists or
// reported that it cannot.
func (s *Sources) HasSynced() bool {
	for _, st := range s.Statuses() {
		if st.State == watcher.StateSyncing {
			return false
		}
	}
	return true
}

func gvrs(kinds []reports.Kind) []schema.GroupVersionResource {
	out := make([]schema.GroupVersionResource, len(kinds))
	for i, k := range kinds {
		out[i] = k.GVR
	}
	return out
}
