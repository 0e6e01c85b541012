package integration

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/config"
)

// haReplica tunes a daemon as one of several replicas sharing a Lease and
// reading the pull sources of one namespace only, where its admin API's
// permissions are checked too.
func haReplica(ns, lease string) func(*config.Config) {
	return func(c *config.Config) {
		c.PodNamespace = ns
		c.Webhooks.Token = webhookToken
		c.FlushInterval = 200 * time.Millisecond
		c.WatchNamespace = ns
		c.LeaderElection.ID = lease
	}
}

// gaugeValue reads a gauge without labels from reg; -1 when absent.
func gaugeValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	return -1
}

// kyvernoEventsIn lists the Kyverno events stored in ns, by dedup key.
func kyvernoEventsIn(t *testing.T, ns string) map[string]zenv1.ZenAgentEvent {
	t.Helper()
	var list zenv1.ZenAgentEventList
	if err := k8sClient.List(context.Background(), &list, client.InNamespace(ns), client.MatchingLabels{zenv1.LabelSource: "kyverno"}); err != nil {
		t.Fatal(err)
	}
	out := map[string]zenv1.ZenAgentEvent{}
	for _, e := range list.Items {
		out[e.Spec.DedupKey] = e
	}
	return out
}

// eventForPolicy waits for the event of policy's one finding in ns and
// returns its count.
func eventForPolicy(ns, policy string, evs map[string]zenv1.ZenAgentEvent) (int64, bool) {
	for key, e := range evs {
		if strings.Contains(key, "/"+policy+"/") {
			return e.Status.Count, true
		}
	}
	return 0, false
}

// TestTwoReplicas: one leader reads the pull sources, so each report
// version counts once; both serve the webhooks, and an alert sent N times
// to each, concurrently, counts exactly 2N.
func TestTwoReplicas(t *testing.T) {
	installReportCRDs(t)
	ns, lease := newNamespace(t), leaseName(t)
	forgetKyverno(t, ns)
	operator := adminTokens(t, ns)["operator"]
	a := startDaemonWith(t, restConfig, haReplica(ns, lease))
	b := startDaemonWith(t, restConfig, haReplica(ns, lease))
	a.waitReady(t, http.StatusOK)
	b.waitReady(t, http.StatusOK)
	var leader, follower *daemon
	eventually(t, "one leader", func() error {
		la, lb := gaugeValue(t, a.registry, "zen_watcher_leader"), gaugeValue(t, b.registry, "zen_watcher_leader")
		switch {
		case la == 1 && lb == 0:
			leader, follower = a, b
		case la == 0 && lb == 1:
			leader, follower = b, a
		default:
			return fmt.Errorf("leader gauges %v and %v", la, lb)
		}
		return nil
	})
	if _, body := follower.getWith(t, "/api/v1/tools", operator); !strings.Contains(body, `"source":"standby"`) {
		t.Errorf("the follower's tools should say its sources stand by: %s", body)
	}

	t.Run("pull sources count once", func(t *testing.T) {
		report := policyReport(ns, "app", "ha-"+ns)
		applyReport(t, report)
		eventually(t, "the report's event", func() error {
			if n, ok := eventForPolicy(ns, "ha-"+ns, kyvernoEventsIn(t, ns)); !ok || n != 1 {
				return fmt.Errorf("count %d, found %v", n, ok)
			}
			return nil
		})
		// A new version of the report is one more occurrence, once.
		report.SetLabels(map[string]string{"scan": "2"})
		applyReport(t, report)
		eventually(t, "the second version counted", func() error {
			if n, _ := eventForPolicy(ns, "ha-"+ns, kyvernoEventsIn(t, ns)); n != 2 {
				return fmt.Errorf("count %d", n)
			}
			return nil
		})
		// Wait for anything a second reader would have written: the
		// follower's pipeline must stay idle, and the count at 2.
		time.Sleep(3 * time.Second)
		if n, _ := eventForPolicy(ns, "ha-"+ns, kyvernoEventsIn(t, ns)); n != 2 {
			t.Errorf("count %d after settling, want 2: a double count", n)
		}
		if got := counterValue(t, follower.registry, "zen_watcher_source_findings_total"); got != 0 {
			t.Errorf("the follower handed %v pull findings to its pipeline", got)
		}
	})

	t.Run("pushed repeats count exactly", func(t *testing.T) {
		const n = 40
		body := alert("HA "+uniqueName(t), "ha-pod-"+ns)
		var wg sync.WaitGroup
		for _, d := range []*daemon{leader, follower} {
			for w := range 4 {
				wg.Go(func() {
					for i := w; i < n; i += 4 {
						if code, out := d.post(t, "/falco/webhook", webhookToken, body); code != http.StatusAccepted {
							t.Errorf("%d %s", code, out)
							return
						}
					}
				})
			}
		}
		wg.Wait()
		eventually(t, fmt.Sprintf("one event counting %d", 2*n), func() error {
			var found []zenv1.ZenAgentEvent
			for _, e := range eventsOf(t, "falco") {
				if e.Spec.Resource != nil && e.Spec.Resource.Name == "ha-pod-"+ns {
					found = append(found, e)
				}
			}
			if len(found) != 1 || found[0].Status.Count != 2*n {
				counts := make([]int64, len(found))
				for i, e := range found {
					counts[i] = e.Status.Count
				}
				return fmt.Errorf("events with counts %v", counts)
			}
			return nil
		})
	})
}

// verboseLine returns the line of /ready?verbose about check.
func verboseLine(body, check string) string {
	s := bufio.NewScanner(strings.NewReader(body))
	for s.Scan() {
		if l := s.Text(); strings.HasPrefix(l[min(3, len(l)):], check+" ") {
			return l
		}
	}
	return ""
}

// getWith is get with a bearer token.
func (d *daemon) getWith(t *testing.T, path, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, d.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// forgetKyverno removes, when the test ends, the PolicyReports and Kyverno
// events of ns: other tests count every Kyverno event in the cluster, and
// read every PolicyReport. Call it before starting daemons, so that it runs
// after they stopped.
func forgetKyverno(t *testing.T, ns string) {
	t.Helper()
	t.Cleanup(func() {
		ctx := context.Background()
		gvr := schema.GroupVersionResource{Group: "wgpolicyk8s.io", Version: "v1alpha2", Resource: "policyreports"}
		if err := dynamic.NewForConfigOrDie(restConfig).Resource(gvr).Namespace(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
			t.Errorf("deleting the PolicyReports of %s: %v", ns, err)
		}
		if err := k8sClient.DeleteAllOf(ctx, &zenv1.ZenAgentEvent{}, client.InNamespace(ns), client.MatchingLabels{zenv1.LabelSource: "kyverno"}); err != nil {
			t.Errorf("deleting the Kyverno events of %s: %v", ns, err)
		}
	})
}
