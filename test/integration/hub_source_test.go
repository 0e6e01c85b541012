package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/output"
	"github.com/kube-zen/zen-watcher/internal/output/webhook"
)

// TestHubSourceTakesSignedCloudEvents: the hub example's ZenSource on a
// daemon takes what the webhook output sends, batched and one by one:
// findings that keep their origin, none twice when the same changes come
// again (the idempotent replay of a retried body, or a new body of the
// same finding), and a resolution that resolves.
func TestHubSourceTakesSignedCloudEvents(t *testing.T) {
	ctx := context.Background()
	const key = "hub-source-key-0123456789"
	d := startWebhookDaemon(t, func(*config.Config) {})
	ns := newNamespace(t)
	putSecret(t, ns, "cluster-a-intake", map[string]string{"hmac-key": key})
	src := exampleSource(t, "hub.yaml", ns)
	if err := k8sClient.Create(ctx, src); err != nil {
		t.Fatal(err)
	}
	readyIs(t, client.ObjectKeyFromObject(src), metav1.ConditionTrue, v1alpha1.ReasonReady)

	now := metav1.NewTime(time.Now().Truncate(time.Second))
	var batch []output.Delivery
	for i := range 3 {
		batch = append(batch, output.Delivery{Trigger: output.TriggerCreated, Event: &zenv1.ZenAgentEvent{
			ObjectMeta: metav1.ObjectMeta{Namespace: "prod", Name: fmt.Sprintf("falco-%d", i), UID: types.UID(fmt.Sprintf("uid-%d", i))},
			Spec: zenv1.ZenAgentEventSpec{Source: "falco", Category: zenv1.CategorySecurity, Severity: zenv1.SeverityHigh,
				EventType: "runtime-security", Rule: "Terminal shell in container", Title: "A shell was spawned <!here>",
				DetectedAt: now, DedupKey: fmt.Sprintf("Terminal shell in container/prod/pod-%d", i),
				Resource: &zenv1.ResourceRef{Kind: "Pod", Name: fmt.Sprintf("pod-%d", i), Namespace: "prod"}},
			Status: zenv1.ZenAgentEventStatus{Count: 1, FirstSeen: &now, LastSeen: &now, State: zenv1.StateOpen},
		}})
	}
	notifier := func(batched bool) *webhook.Notifier {
		n, err := webhook.New(webhook.Config{URL: d.url + "/api/v1/sources/" + ns + "/cluster-a", HMACKey: []byte(key),
			Cluster: "cluster-a.example", Batch: batched, Client: &http.Client{Timeout: 10 * time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	hubEvents := func() map[string]zenv1.ZenAgentEvent {
		out := map[string]zenv1.ZenAgentEvent{}
		for _, ev := range listEvents(t, ns) {
			out[ev.Spec.DedupKey] = ev
		}
		return out
	}
	notify := func(n *webhook.Notifier, b []output.Delivery) {
		t.Helper()
		if retry, err := n.Notify(ctx, b); err != nil {
			t.Fatalf("notify: retry %v: %v", retry, err)
		}
	}
	notify(notifier(true), batch)
	eventually(t, "three findings from cluster-a", func() error {
		if n := len(hubEvents()); n != 3 {
			return fmt.Errorf("%d findings", n)
		}
		return nil
	})
	want := map[string]bool{}
	for _, d := range batch {
		want[ns+"/cluster-a/cluster-a.example/"+d.Event.Spec.DedupKey] = true
	}
	for dk, ev := range hubEvents() {
		var details struct {
			Origin map[string]string `json:"origin"`
		}
		if err := json.Unmarshal(ev.Spec.Details.Raw, &details); err != nil {
			t.Fatal(err)
		}
		if ev.Spec.Source != "cluster-a" || details.Origin["cluster"] != "cluster-a.example" || details.Origin["namespace"] != "prod" ||
			!want[dk] ||
			ev.Spec.Title != "A shell was spawned <!here>" {
			t.Errorf("hub finding %s: %+v origin %v", dk, ev.Spec, details.Origin)
		}
	}

	// The same batch again: the hub answers from its idempotency cache.
	// One by one: new bodies of the same findings update them.
	notify(notifier(true), batch)
	notify(notifier(false), batch)
	gone := *batch[2].Event
	resolvedAt := metav1.NewTime(now.Add(time.Minute))
	gone.Status.State, gone.Status.ResolvedAt = zenv1.StateResolved, &resolvedAt
	notify(notifier(false), []output.Delivery{{Event: &gone, Trigger: output.TriggerResolved}})
	eventually(t, "the resolution", func() error {
		for _, ev := range hubEvents() {
			if ev.Status.State == zenv1.StateResolved {
				return nil
			}
		}
		return fmt.Errorf("nothing resolved")
	})
	evs := hubEvents()
	if len(evs) != 3 {
		t.Fatalf("repeats made %d findings, want 3", len(evs))
	}
}
