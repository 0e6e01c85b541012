package eventindex

import (
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

func event(name, source, severity string) *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns",
		Labels: map[string]string{zenv1.LabelSource: source, zenv1.LabelSeverity: severity}}}
}

// TestCountsFollowNotifications drives the counts as the informer would:
// adds, a relabel, deletes, and a tombstone for a delete the watch missed.
func TestCountsFollowNotifications(t *testing.T) {
	idx := New(nil, 0) // never run: the notifications are driven by hand
	c := idx.counts
	a, b, d := event("a", "falco", "HIGH"), event("b", "falco", "HIGH"), event("c", "trivy", "LOW")
	c.OnAdd(a, true)
	c.OnAdd(b, true)
	c.OnAdd(d, false)
	c.OnUpdate(b, b) // a status write: no change
	relabelled := event("b", "falco", "CRITICAL")
	c.OnUpdate(b, relabelled)
	c.OnDelete(cache.DeletedFinalStateUnknown{Key: "ns/c", Obj: d})
	want := `
# HELP zen_watcher_stored_events ZenAgentEvents stored in the cluster, by source and severity label, as seen by the event index.
# TYPE zen_watcher_stored_events gauge
zen_watcher_stored_events{severity="CRITICAL",source="falco"} 1
zen_watcher_stored_events{severity="HIGH",source="falco"} 1
`
	if err := testutil.CollectAndCompare(idx, stringsReader(want)); err != nil {
		t.Error(err)
	}
	c.OnDelete(a)
	c.OnDelete(relabelled)
	if n := testutil.CollectAndCount(idx); n != 0 {
		t.Errorf("%d series left after every event was deleted", n)
	}
}

// BenchmarkScrape gathers the stored-events gauge with 100 and with
// 20,000 events in the index: the cost follows the number of series
// (source × severity), not the number of events.
func BenchmarkScrape(b *testing.B) {
	for _, n := range []int{100, 20_000} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			idx := New(nil, 0)
			sources := []string{"falco", "audit", "trivy", "kyverno", "kube-bench", "checkov"}
			severities := []string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"}
			for i := range n {
				idx.counts.OnAdd(event(fmt.Sprint(i), sources[i%len(sources)], severities[i%len(severities)]), true)
			}
			reg := prometheus.NewRegistry()
			reg.MustRegister(idx)
			for b.Loop() {
				if _, err := reg.Gather(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
