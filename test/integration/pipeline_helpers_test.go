package integration

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/app"
	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/eventindex"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// running is one pipeline with its writer, index and flusher, as the daemon
// runs them, against the shared API server.
type running struct {
	*app.Events
	Registry *prometheus.Registry
	stop     func()
}

func defaultConfig(t *testing.T) config.Config {
	t.Helper()
	cfg, err := config.Load(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	cfg.FlushInterval = 200 * time.Millisecond
	return cfg
}

// startPipeline starts a pipeline once its event index has synced, as the
// daemon does. stop drains it and waits.
func startPipeline(t *testing.T, cfg config.Config) *running {
	t.Helper()
	return startPipelineVia(t, cfg, restConfig)
}

// startPipelineVia is startPipeline with the writer talking to the API
// server through rc; the event index keeps the direct connection.
func startPipelineVia(t *testing.T, cfg config.Config, rc *rest.Config) *running {
	t.Helper()
	reg := prometheus.NewRegistry()
	log := testLogger(t)
	meta, err := metadata.NewForConfig(restConfig)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	index := eventindex.New(meta, 0)
	indexDone := make(chan struct{})
	go func() { index.Run(ctx); close(indexDone) }()
	stopIndex := func() { cancel(); <-indexDone }
	if !cache.WaitForCacheSync(ctx.Done(), index.HasSynced) {
		stopIndex()
		t.Fatal("index did not sync")
	}
	ev, err := app.NewEvents(cfg, app.ClientConfig(rc, cfg, nil), index, reg, log)
	if err != nil {
		stopIndex()
		t.Fatal(err)
	}
	runDone := make(chan struct{})
	// The writer drains for up to 30s after ctx ends.
	drain, stopDraining := context.WithCancel(context.WithoutCancel(ctx))
	context.AfterFunc(ctx, func() { time.AfterFunc(30*time.Second, stopDraining) })
	go func() { ev.Run(ctx, drain, cfg.FlushInterval, log); close(runDone) }()
	r := &running{Events: ev, Registry: reg}
	r.stop = sync.OnceFunc(func() {
		cancel()
		<-runDone
		<-indexDone
	})
	t.Cleanup(r.stop)
	return r
}

// newNamespace creates a namespace of its own for one test.
func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "zen-test-"}}
	if err := k8sClient.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// synthetic is the test source: a finding with key i in namespace ns.
func synthetic(ns string, i int, at time.Time) finding.Finding {
	sev := []zenv1.Severity{zenv1.SeverityCritical, zenv1.SeverityHigh, zenv1.SeverityMedium, zenv1.SeverityLow, zenv1.SeverityInfo}[i%5]
	return finding.Finding{
		Source: "synthetic", Category: zenv1.CategorySecurity, Severity: sev, EventType: "vulnerability",
		Resource:   &zenv1.ResourceRef{APIVersion: "apps/v1", Kind: "Deployment", Name: fmt.Sprintf("app-%d", i), Namespace: ns},
		Details:    map[string]any{"vulnerabilityID": fmt.Sprintf("CVE-2026-%04d", i), "score": 7.5},
		DetectedAt: at,
		DedupKey:   fmt.Sprintf("%s/Deployment/app-%d/main/CVE-2026-%04d", ns, i, i),
	}
}

// listEvents returns the events in ns by name.
func listEvents(t *testing.T, ns string) map[string]zenv1.ZenAgentEvent {
	t.Helper()
	var list zenv1.ZenAgentEventList
	if err := k8sClient.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	out := map[string]zenv1.ZenAgentEvent{}
	for _, e := range list.Items {
		out[e.Name] = e
	}
	return out
}

// eventually polls cond until it holds; the deadline only bounds the wait.
func eventually(t *testing.T, what string, cond func() error) {
	t.Helper()
	var err error
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if err = cond(); err == nil {
			return
		}
	}
	t.Fatalf("%s: %v", what, err)
}

// countsAre checks that ns holds exactly want events, each with count each.
func countsAre(t *testing.T, ns string, want int, each int64) func() error {
	return func() error {
		evs := listEvents(t, ns)
		if len(evs) != want {
			return fmt.Errorf("%d events, want %d", len(evs), want)
		}
		for _, e := range evs {
			if e.Status.Count != each {
				return fmt.Errorf("%s count %d, want %d", e.Name, e.Status.Count, each)
			}
		}
		return nil
	}
}

// counterValue sums every series of a metric family in reg.
func counterValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// testLogger writes warnings and errors into the test's output.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewJSONHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}
