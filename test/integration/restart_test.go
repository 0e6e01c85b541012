package integration

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/app"
	"github.com/kube-zen/zen-watcher/internal/config"
)

// writeCounter counts the requests that change ZenAgentEvents, by verb,
// as they leave the client: the API server's own view of what we wrote.
type writeCounter struct {
	mu     sync.Mutex
	byVerb map[string]int
}

func (c *writeCounter) wrap(rc *rest.Config) *rest.Config {
	rc = rest.CopyConfig(rc)
	rc.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripperFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method != http.MethodGet && strings.Contains(r.URL.Path, "/"+zenv1.ZenAgentEventResource) {
				c.mu.Lock()
				c.byVerb[r.Method]++
				c.mu.Unlock()
			}
			return rt.RoundTrip(r)
		})
	})
	return rc
}

func (c *writeCounter) counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.byVerb {
		out[k] = v
	}
	return out
}

// runSources runs a pipeline and the pull sources, every request through
// rc, until the returned stop, which drains the pipeline.
func runSources(t *testing.T, cfg config.Config, rc *rest.Config) (*running, func()) {
	t.Helper()
	r := startPipelineVia(t, cfg, rc)
	sources, err := app.NewSources(cfg, rc, r.Pipeline, r.Registry, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { sources.Run(ctx); close(done) }()
	stop := sync.OnceFunc(func() { cancel(); <-done; r.stop() })
	t.Cleanup(stop)
	eventually(t, "sources synced", func() error {
		if !sources.HasSynced() {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	return r, stop
}

// settle flushes the pipeline and waits for its write queue to empty, so
// every write the sources caused so far has been made.
func settle(t *testing.T, r *running) {
	t.Helper()
	eventually(t, "pipeline settled", func() error {
		if err := r.Aggregator.Flush(context.Background()); err != nil {
			return err
		}
		if d := counterValue(t, r.Registry, "zen_watcher_write_queue_depth"); d != 0 {
			return fmt.Errorf("queue depth %v", d)
		}
		return nil
	})
}

// TestRestartRebuildsPullSourceState stores 504 kube-bench findings from 14
// nodes, then restarts the sources three ways: with nothing changed (no
// write at all, no count raised), and after a node's results were deleted
// and a new node's added while nothing ran (its events resolved, the new
// ones created, nothing else written).
func TestRestartRebuildsPullSourceState(t *testing.T) {
	bench, events := newNamespace(t), newNamespace(t)
	cfg := defaultConfig(t)
	cfg.WatchInterval = time.Second
	cfg.EventNamespace, cfg.ToolNamespaces.KubeBench, cfg.ToolNamespaces.Checkov = events, bench, newNamespace(t)
	full := fixture(t, "kube-bench/full_run_cis-1.6_wg-policy-sample.json")
	node := func(i int) string { return fmt.Sprintf("%s-node-%d", events, i) }
	put := func(i int) {
		putConfigMap(t, bench, fmt.Sprintf("node-%d", i), benchLabels, map[string]string{"zen.kube-zen.io/node": node(i)},
			map[string]string{"results.json": full})
	}
	const nodes, perNode = 14, 36
	for i := range nodes {
		put(i)
	}
	first, stop := runSources(t, cfg, restConfig)
	eventually(t, "504 events counted once", countsAre(t, events, nodes*perNode, 1))
	settle(t, first)
	stop()

	// Unchanged: not one write.
	quiet := &writeCounter{byVerb: map[string]int{}}
	second, stop := runSources(t, cfg, quiet.wrap(restConfig))
	settle(t, second)
	stop()
	if w := quiet.counts(); len(w) != 0 {
		t.Errorf("restart with nothing changed wrote %v, want nothing", w)
	}
	if err := countsAre(t, events, nodes*perNode, 1)(); err != nil {
		t.Errorf("after the quiet restart: %v", err)
	}

	// While nothing runs, node 0's results go away and node 14's arrive.
	if err := k8sClient.Delete(context.Background(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: bench, Name: "node-0"}}); err != nil {
		t.Fatal(err)
	}
	put(nodes)
	changed := &writeCounter{byVerb: map[string]int{}}
	third, stop := runSources(t, cfg, changed.wrap(restConfig))
	eventually(t, "gone node resolved, new node created", func() error {
		evs := listEvents(t, events)
		if len(evs) != (nodes+1)*perNode {
			return fmt.Errorf("%d events, want %d", len(evs), (nodes+1)*perNode)
		}
		for _, e := range evs {
			gone := strings.HasPrefix(e.Spec.DedupKey, node(0)+"/")
			wantState := zenv1.StateOpen
			if gone {
				wantState = zenv1.StateResolved
			}
			if e.Status.State != wantState || e.Status.Count != 1 {
				return fmt.Errorf("%s (%s): state %q count %d, want %s and 1", e.Name, e.Spec.DedupKey, e.Status.State, e.Status.Count, wantState)
			}
		}
		return nil
	})
	settle(t, third)
	stop()
	// 36 creates, each complete with its status, and 36 resolutions.
	want := map[string]int{http.MethodPost: perNode, http.MethodPatch: perNode}
	if got := changed.counts(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("restart after changes wrote %v, want %v", got, want)
	}
}
