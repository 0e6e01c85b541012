package webhook

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"sigs.k8s.io/yaml"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/mapping"
	"github.com/kube-zen/zen-watcher/internal/output"
)

// hubExample is the hub's ZenSource of deploy/examples/sources.
func hubExample(t testing.TB) *v1alpha1.ZenSource {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "deploy", "examples", "sources", "hub.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	src := &v1alpha1.ZenSource{}
	if err := yaml.UnmarshalStrict(data, src); err != nil {
		t.Fatal(err)
	}
	return src
}

// TestHubExampleMapsWhatThisOutputSends: the bodies this output sends,
// single and batched, go through the hub example's items expression and
// mapping into findings that keep their origin; the key is the origin's.
func TestHubExampleMapsWhatThisOutputSends(t *testing.T) {
	src := hubExample(t)
	items, err := mapping.CompileItems(src.Spec.Webhook.Items)
	if err != nil {
		t.Fatal(err)
	}
	prg, err := mapping.Compile(src.Spec.Mapping, mapping.VarItem)
	if err != nil {
		t.Fatal(err)
	}
	ms := mapping.Source{Namespace: "zen-hub", Name: "cluster-a"}
	ev := finding("trivy-1", zenv1.SeverityHigh)
	ev.Spec.Title = "<!channel> \x00 title"
	bare := finding("kube-bench-1", zenv1.SeverityLow)
	bare.Spec.Resource, bare.Spec.Rule, bare.Spec.Title, bare.Status.Count = nil, "", "", 0
	gone := finding("trivy-2", zenv1.SeverityMedium)
	batch := []output.Delivery{{Event: ev, Trigger: output.TriggerCreated}, {Event: bare, Trigger: output.TriggerEscalated},
		{Event: gone, Trigger: output.TriggerResolved}}

	for _, batched := range []bool{false, true} {
		n := newNotifier(t, "http://hub.invalid", func(c *Config) { c.Batch = batched })
		var events []cloudevents.Event
		for _, d := range batch {
			e, err := Event("cluster-a-uid", d)
			if err != nil {
				t.Fatal(err)
			}
			events = append(events, e)
		}
		bodies, err := n.bodies(events)
		if err != nil {
			t.Fatal(err)
		}
		var got []any
		for _, b := range bodies {
			body, err := mapping.Decode(b.data)
			if err != nil {
				t.Fatal(err)
			}
			its, err := items.Extract(context.Background(), body, ms)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, its...)
		}
		if len(got) != len(batch) {
			t.Fatalf("batched %v: %d items, want %d", batched, len(got), len(batch))
		}
		for i, item := range got {
			f, keep, err := prg.Map(context.Background(), item, ms)
			if err != nil || !keep {
				t.Fatalf("item %d: %v %v", i, keep, err)
			}
			want := batch[i].Event
			if f.Source != "cluster-a" || f.Severity != want.Spec.Severity || f.EventType != want.Spec.EventType ||
				f.DedupKey != "zen-hub/cluster-a/cluster-a-uid/"+want.Spec.DedupKey || f.Title != want.Spec.Title ||
				!f.DetectedAt.Equal(want.Spec.DetectedAt.Time) || f.Resolved != (batch[i].Trigger == output.TriggerResolved) {
				t.Errorf("item %d: %+v", i, f)
			}
			origin, _ := f.Details["origin"].(map[string]any)
			if origin["cluster"] != "cluster-a-uid" || origin["namespace"] != "prod" || origin["name"] != want.Name || origin["source"] != "trivy" {
				t.Errorf("item %d origin: %v", i, origin)
			}
			if f.Namespace() != "" && f.Namespace() != "zen-hub" {
				t.Errorf("item %d is written outside the source's namespace: %q", i, f.Namespace())
			}
		}
	}

	// Something else posted to the hub is filtered, not stored.
	for _, other := range []string{`{"type":"com.example.other","data":{"spec":{}}}`, `{"specversion":"1.0"}`, `[]`} {
		body, _ := mapping.Decode([]byte(other))
		got, err := items.Extract(context.Background(), body, ms)
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range got {
			if _, keep, err := prg.Map(context.Background(), item, ms); keep || err != nil {
				t.Errorf("%s: kept %v, %v", other, keep, err)
			}
		}
	}
}
