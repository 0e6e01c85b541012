package integration

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/dynsource/watch"
	"github.com/kube-zen/zen-watcher/internal/eventindex"
	"github.com/kube-zen/zen-watcher/internal/source/watcher"
)

// watchRunner is a watch source runner on the shared API server, feeding a
// pipeline of its own, as the leader runs it.
type watchRunner struct {
	*watch.Runner
	pipeline *running
	registry *prometheus.Registry
	counts   *watchCounts
}

// watchCounts adds up what a runner counts, by source.
type watchCounts struct {
	mu sync.Mutex
	by map[types.NamespacedName]sourceCounts
}

type sourceCounts struct {
	received, stored, rejected int64
	last                       time.Time
}

func (c *watchCounts) Add(key types.NamespacedName, received, stored, rejected int64, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.by[key]
	n.received, n.stored, n.rejected = n.received+received, n.stored+stored, n.rejected+rejected
	if at.After(n.last) {
		n.last = at
	}
	c.by[key] = n
}

func (c *watchCounts) of(key types.NamespacedName) sourceCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.by[key]
}

// startWatchRunner runs a Runner whose watches use rc (the API server's
// admin, or an impersonated identity), with home as zen-watcher's own
// namespace. Kinds not served are retried within a second.
func startWatchRunner(t *testing.T, rc *rest.Config, home string) *watchRunner {
	t.Helper()
	p := startPipeline(t, defaultConfig(t))
	disc, err := discovery.NewDiscoveryClientForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := eventindex.NewStoredLister(restConfig, 100)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	counts := &watchCounts{by: map[types.NamespacedName]sourceCounts{}}
	r := watch.New(watch.Options{
		Counter:   counts,
		Discovery: disc, Dynamic: dyn, HomeNamespace: home, Pipeline: p.Pipeline, Stored: stored,
		Metrics: watcher.NewMetrics(reg), Log: testLogger(t),
		Backoff:        wait.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Cap: time.Second},
		StatusInterval: 200 * time.Millisecond,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	// Stopped before the pipeline (cleanups run last first), so the
	// pipeline drains what the watches submitted.
	t.Cleanup(func() { cancel(); <-done })
	return &watchRunner{Runner: r, pipeline: p, registry: reg, counts: counts}
}

// waitStatus waits until the source's Ready condition has the reason.
func (w *watchRunner) waitStatus(t *testing.T, key types.NamespacedName, reason string) watch.Status {
	t.Helper()
	var st watch.Status
	eventually(t, fmt.Sprintf("%s: Ready reason %s", key, reason), func() error {
		var ok bool
		if st, ok = w.Status(key); !ok {
			return fmt.Errorf("no status")
		}
		if st.Reason != reason {
			return fmt.Errorf("reason %s: %s", st.Reason, st.Message)
		}
		return nil
	})
	return st
}

// k8sEvent is a core/v1 Event about a Pod in ns.
func k8sEvent(ns, name, typ, reason, message string) *corev1.Event {
	now := metav1.NewTime(time.Now())
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Namespace: ns, Name: name},
		InvolvedObject: corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: ns, Name: "app-" + name},
		Type:           typ, Reason: reason, Message: message, Count: 1,
		FirstTimestamp: now, LastTimestamp: now,
		Source: corev1.EventSource{Component: "kubelet"},
	}
}

// sourceEventsIn lists the ZenAgentEvents of source in ns.
func sourceEventsIn(t *testing.T, ns, source string) []zenv1.ZenAgentEvent {
	t.Helper()
	var list zenv1.ZenAgentEventList
	if err := k8sClient.List(context.Background(), &list, client.InNamespace(ns), client.MatchingLabels{zenv1.LabelSource: source}); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// oneEvent waits until ns holds exactly one event of source that ok
// accepts, and returns it.
func oneEvent(t *testing.T, ns, source, what string, ok func(zenv1.ZenAgentEvent) error) zenv1.ZenAgentEvent {
	t.Helper()
	var ev zenv1.ZenAgentEvent
	eventually(t, what, func() error {
		evs := sourceEventsIn(t, ns, source)
		if len(evs) != 1 {
			return fmt.Errorf("%d %s events in %s, want 1", len(evs), source, ns)
		}
		ev = evs[0]
		return ok(ev)
	})
	return ev
}

// stateIs checks one event's state and count.
func stateIs(state zenv1.State, count int64) func(zenv1.ZenAgentEvent) error {
	return func(ev zenv1.ZenAgentEvent) error {
		if ev.Status.State != state || ev.Status.Count != count {
			return fmt.Errorf("%s: state %q count %d, want %q %d", ev.Name, ev.Status.State, ev.Status.Count, state, count)
		}
		return nil
	}
}

// watchSpec is a WatchSource on a kind.
func watchSpec(apiVersion, kind string, allNamespaces bool, fieldSelector string) v1alpha1.WatchSource {
	return v1alpha1.WatchSource{APIVersion: apiVersion, Kind: kind, AllNamespaces: allNamespaces, FieldSelector: fieldSelector}
}
