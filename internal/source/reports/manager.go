package reports

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/watcher"
)

// Kind is one report resource and how its objects become findings.
type Kind struct {
	// Tool is the source name, e.g. "trivy".
	Tool string
	GVR  schema.GroupVersionResource
	// Namespaced kinds are watched in WATCH_NAMESPACE when it is set.
	Namespaced bool
	// Read turns one report into findings; skipped counts, by reason, the
	// entries it could not use.
	Read func(u *unstructured.Unstructured, now time.Time) (found []finding.Finding, skipped map[string]int, err error)
	// Transform strips what Read never looks at before objects enter the cache.
	Transform cache.TransformFunc
}

// Manager keeps one informer running per served Kind.
type Manager struct {
	kinds     []Kind
	discovery discovery.DiscoveryInterface
	dynamic   dynamic.Interface
	namespace string
	interval  time.Duration
	submit    source.Submitter
	stored    watcher.StoredFindings
	metrics   *watcher.Metrics
	log       *slog.Logger
	recheck   chan struct{}

	mu         sync.Mutex
	running    map[schema.GroupVersionResource]*running
	reconciled bool // discovery has been asked once
}

type running struct {
	watcher *watcher.Watcher
	stop    context.CancelFunc
	done    chan struct{}
}

// New builds a manager; call Run. namespace scopes namespaced kinds (empty:
// all namespaces); interval is how often discovery is asked; each informer's
// watcher rebuilds what it knows from stored when it starts.
func New(kinds []Kind, disc discovery.DiscoveryInterface, dyn dynamic.Interface, namespace string, interval time.Duration,
	submit source.Submitter, stored watcher.StoredFindings, m *watcher.Metrics, log *slog.Logger) *Manager {
	return &Manager{kinds: kinds, discovery: disc, dynamic: dyn, namespace: namespace, interval: interval, submit: submit, stored: stored,
		metrics: m, log: log, recheck: make(chan struct{}, 1), running: map[schema.GroupVersionResource]*running{}}
}

// Run reconciles informers with discovery at start, every interval, and at
// once when a watch reports its resource gone, until ctx ends.
func (m *Manager) Run(ctx context.Context) {
	t := time.NewTicker(m.interval)
	defer t.Stop()
	for {
		m.reconcile(ctx)
		select {
		case <-ctx.Done():
			m.stopAll()
			return
		case <-t.C:
		case <-m.recheck:
		}
	}
}

// reconcile starts an informer for each served kind that has none, and
// stops those whose kind is no longer served. A kind whose group discovery
// cannot answer for keeps its current state.
func (m *Manager) reconcile(ctx context.Context) {
	served := map[string][]metav1.APIResource{}
	answered := false // by discovery, for at least one group
	defer func() {
		m.mu.Lock()
		m.reconciled = m.reconciled || answered
		m.mu.Unlock()
	}()
	for _, k := range m.kinds {
		gv := k.GVR.GroupVersion().String()
		if _, asked := served[gv]; !asked {
			list, err := m.discovery.ServerResourcesForGroupVersion(gv)
			switch {
			case apierrors.IsNotFound(err):
				served[gv], answered = []metav1.APIResource{}, true
			case err != nil:
				m.log.Warn("discovery failed; keeping informers as they are", "groupVersion", gv, "error", err.Error())
				served[gv] = nil
			default:
				served[gv], answered = list.APIResources, true
			}
		}
		resources := served[gv]
		if resources == nil {
			continue
		}
		isServed := slices.ContainsFunc(resources, func(r metav1.APIResource) bool { return r.Name == k.GVR.Resource })
		m.mu.Lock()
		_, isRunning := m.running[k.GVR]
		m.mu.Unlock()
		switch {
		case isServed && !isRunning:
			m.start(ctx, k)
		case !isServed && isRunning:
			m.stop(k.GVR)
		}
	}
}

func (m *Manager) start(ctx context.Context, k Kind) {
	ns := metav1.NamespaceAll
	if k.Namespaced {
		ns = m.namespace
	}
	inf := dynamicinformer.NewFilteredDynamicInformer(m.dynamic, k.GVR, ns, 0, cache.Indexers{}, nil).Informer()
	if k.Transform != nil {
		_ = inf.SetTransform(k.Transform)
	}
	log := m.log.With("source", k.Tool, "resource", k.GVR.String())
	read := func(obj any, now time.Time) ([]finding.Finding, bool) {
		u, ok := obj.(*unstructured.Unstructured)
		if !ok {
			return nil, false
		}
		found, skipped, err := k.Read(u, now)
		if err != nil {
			m.metrics.Errors.WithLabelValues(k.Tool, source.ReasonOf(err)).Inc()
			log.Warn("unreadable report", "report", u.GetNamespace()+"/"+u.GetName(), "error", err.Error())
			return nil, false
		}
		for reason, n := range skipped {
			if n > 0 {
				m.metrics.Errors.WithLabelValues(k.Tool, reason).Add(float64(n))
				log.Info("skipped report entries", "report", u.GetNamespace()+"/"+u.GetName(), "reason", reason, "count", n)
			}
		}
		return found, true
	}
	rctx, cancel := context.WithCancel(ctx)
	// The scope names what this watcher answers for: a rebuild resolves
	// only events read from objects it can see.
	scope := k.Tool + "/" + k.GVR.GroupResource().String() + "/" + ns
	r := &running{watcher: watcher.New(k.Tool, scope, inf, read, m.submit, m.stored, m.metrics, log), stop: cancel, done: make(chan struct{})}
	// A watch that finds its resource gone asks for a discovery check at
	// once, so a removed CRD stops its informer instead of looping on errors.
	r.watcher.OnWatchError(func(err error) {
		if apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err) {
			select {
			case m.recheck <- struct{}{}:
			default:
			}
		}
	})
	m.mu.Lock()
	m.running[k.GVR] = r
	m.mu.Unlock()
	go func() { r.watcher.Run(rctx); close(r.done) }()
	log.Info("watching reports", "namespace", ns)
}

func (m *Manager) stop(gvr schema.GroupVersionResource) {
	m.mu.Lock()
	r := m.running[gvr]
	delete(m.running, gvr)
	m.mu.Unlock()
	if r != nil {
		r.stop()
		<-r.done
		m.log.Info("stopped watching reports: resource no longer served", "resource", gvr.String())
	}
}

func (m *Manager) stopAll() {
	m.mu.Lock()
	gvrs := make([]schema.GroupVersionResource, 0, len(m.running))
	for gvr := range m.running {
		gvrs = append(gvrs, gvr)
	}
	m.mu.Unlock()
	for _, gvr := range gvrs {
		m.stop(gvr)
	}
}

// Served reports whether an informer runs for gvr, that is, whether the
// API server served it at the last check.
func (m *Manager) Served(gvr schema.GroupVersionResource) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.running[gvr]
	return ok
}

// HasSynced reports whether discovery has answered once and every running
// informer has loaded its list.
func (m *Manager) HasSynced() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.reconciled {
		return false
	}
	for _, r := range m.running {
		if !r.watcher.HasSynced() {
			return false
		}
	}
	return true
}

// Statuses reports each tool's state: syncing until discovery has answered
// and every watch of the tool has listed; failing while one of them fails;
// not installed when none of its resources is served.
func (m *Manager) Statuses() []watcher.Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []watcher.Status
	for _, k := range m.kinds {
		if slices.ContainsFunc(out, func(s watcher.Status) bool { return s.Source == k.Tool }) {
			continue
		}
		out = append(out, m.status(k.Tool))
	}
	return out
}

// status combines the watches of one tool; the caller holds m.mu.
func (m *Manager) status(tool string) watcher.Status {
	if !m.reconciled {
		return watcher.Status{Source: tool, State: watcher.StateSyncing, Err: errors.New("waiting for discovery to answer")}
	}
	var watches, missing []string
	var syncing, failing []string
	for _, k := range m.kinds {
		if k.Tool != tool {
			continue
		}
		r, ok := m.running[k.GVR]
		if !ok {
			missing = append(missing, k.GVR.GroupResource().String())
			continue
		}
		watches = append(watches, k.GVR.GroupResource().String())
		switch st := r.watcher.State(); st.State {
		case watcher.StateFailing:
			failing = append(failing, k.GVR.GroupResource().String()+": "+st.Err.Error())
		case watcher.StateSyncing:
			syncing = append(syncing, k.GVR.GroupResource().String())
		}
	}
	switch {
	case len(watches) == 0:
		return watcher.Status{Source: tool, State: watcher.StateNotInstalled,
			Err: fmt.Errorf("none of its report resources is served: %s", strings.Join(missing, ", "))}
	case len(failing) > 0:
		return watcher.Status{Source: tool, State: watcher.StateFailing, Err: errors.New(strings.Join(failing, "; "))}
	case len(syncing) > 0:
		return watcher.Status{Source: tool, State: watcher.StateSyncing, Err: fmt.Errorf("loading the first list of %s", strings.Join(syncing, ", "))}
	}
	return watcher.Status{Source: tool, State: watcher.StateWatching}
}
