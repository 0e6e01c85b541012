package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/api/v1alpha1"
)

// TestHubReceivesClusterFindings runs two control planes and two daemons:
// cluster A forwards its findings with a webhook ZenOutput to hub B, where
// the ZenSource of deploy/examples/sources/hub.yaml takes them. They
// arrive as findings of the source cluster-a with A's identity (the UID
// of A's kube-system, CLUSTER_NAME being unset) as their origin; a second
// output sending them all too adds none; a finding resolved on A is
// resolved on B.
func TestHubReceivesClusterFindings(t *testing.T) {
	ctx := context.Background()
	const key = "hub-hmac-key-0123456789abcdef"

	// Hub B: its own control plane and daemon, and the example source.
	envB := newEnvironment(filepath.Join(repoRoot(), "config", "crd"))
	cfgB, err := envB.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = envB.Stop() })
	kubeconfigB := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfigB, envB.KubeConfig, 0o600); err != nil {
		t.Fatal(err)
	}
	hubClient, err := client.New(cfgB, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "zen-hub"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "zen-hub", Name: "cluster-a-intake"}, StringData: map[string]string{"hmac-key": key}},
		exampleSource(t, "hub.yaml", "zen-hub"),
	} {
		if err := hubClient.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	hub := startProcessOn(t, kubeconfigB, "POD_NAMESPACE=default")

	// Cluster A: the shared control plane, a tenant namespace with three
	// findings, the key, and an output to the hub.
	ns := newNamespace(t)
	putSecret(t, ns, "hub-key", map[string]string{"hmac-key": key})
	kubeSystem := &corev1.Namespace{}
	if err := k8sClient.Get(ctx, types.NamespacedName{Name: "kube-system"}, kubeSystem); err != nil {
		t.Fatal(err)
	}
	origin := string(kubeSystem.UID)
	output := func(name string) *v1alpha1.ZenOutput {
		return &v1alpha1.ZenOutput{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: v1alpha1.ZenOutputSpec{Webhook: &v1alpha1.WebhookOutput{
				URL:           hub.url + "/api/v1/sources/zen-hub/cluster-a",
				HMACSecretRef: &v1alpha1.SecretKeyRef{Name: "hub-key", Key: "hmac-key"},
				Headers:       map[string]string{"X-Forwarded-Cluster": "a"},
			}},
		}
	}
	// Two outputs to the hub: every finding arrives twice.
	for _, name := range []string{"hub", "hub-again"} {
		if err := k8sClient.Create(ctx, output(name)); err != nil {
			t.Fatal(err)
		}
	}
	startProcess(t, "POD_NAMESPACE=default")
	for _, name := range []string{"hub", "hub-again"} {
		eventually(t, name+" ready", func() error {
			o := &v1alpha1.ZenOutput{}
			if err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, o); err != nil {
				return err
			}
			if c := meta.FindStatusCondition(o.Status.Conditions, v1alpha1.ConditionReady); c == nil || c.Status != metav1.ConditionTrue {
				return fmt.Errorf("Ready: %v", c)
			}
			return nil
		})
	}
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	var names []string
	for i, sev := range []zenv1.Severity{zenv1.SeverityCritical, zenv1.SeverityHigh, zenv1.SeverityMedium} {
		ev := &zenv1.ZenAgentEvent{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("trivy-hub-%d", i)},
			Spec: zenv1.ZenAgentEventSpec{Source: "trivy", Category: zenv1.CategorySecurity, Severity: sev, EventType: "vulnerability",
				Rule: fmt.Sprintf("CVE-2024-%d", i), Title: "<b>title</b> *" + string(sev), DetectedAt: now,
				DedupKey: fmt.Sprintf("%s/Deployment/api/app/CVE-2024-%d", ns, i),
				Resource: &zenv1.ResourceRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "api", Namespace: ns}},
			Status: zenv1.ZenAgentEventStatus{Count: 1, FirstSeen: &now, LastSeen: &now, State: zenv1.StateOpen},
		}
		if err := k8sClient.Create(ctx, ev); err != nil {
			t.Fatal(err)
		}
		names = append(names, ev.Name)
	}

	hubEvents := func() (map[string]zenv1.ZenAgentEvent, error) {
		var list zenv1.ZenAgentEventList
		if err := hubClient.List(ctx, &list, client.InNamespace("zen-hub")); err != nil {
			return nil, err
		}
		out := map[string]zenv1.ZenAgentEvent{}
		for _, ev := range list.Items {
			out[ev.Spec.DedupKey] = ev
		}
		return out, nil
	}
	wantKey := func(i int) string {
		return fmt.Sprintf("zen-hub/cluster-a/%s/%s/Deployment/api/app/CVE-2024-%d", origin, ns, i)
	}
	eventually(t, "cluster A's three findings on hub B", func() error {
		evs, err := hubEvents()
		if err != nil || len(evs) != 3 {
			return fmt.Errorf("%d findings on the hub: %v", len(evs), err)
		}
		return nil
	})
	evs, _ := hubEvents()
	for i, sev := range []zenv1.Severity{zenv1.SeverityCritical, zenv1.SeverityHigh, zenv1.SeverityMedium} {
		ev, ok := evs[wantKey(i)]
		if !ok {
			t.Fatalf("no hub finding with key %s in %v", wantKey(i), keys(evs))
		}
		var details struct {
			Origin map[string]string `json:"origin"`
		}
		if ev.Spec.Details == nil || json.Unmarshal(ev.Spec.Details.Raw, &details) != nil {
			t.Fatalf("details: %v", ev.Spec.Details)
		}
		want := map[string]string{"cluster": origin, "namespace": ns, "name": names[i], "source": "trivy", "resourceNamespace": ns}
		for k, v := range want {
			if details.Origin[k] != v {
				t.Errorf("origin.%s = %q, want %q", k, details.Origin[k], v)
			}
		}
		if ev.Spec.Source != "cluster-a" || ev.Spec.Severity != sev || ev.Spec.Rule != fmt.Sprintf("CVE-2024-%d", i) ||
			ev.Spec.Title != "<b>title</b> *"+string(sev) || ev.Spec.Resource == nil || ev.Spec.Resource.Name != "api" || ev.Status.State != zenv1.StateOpen {
			t.Errorf("hub finding %d: %+v %+v", i, ev.Spec, ev.Status)
		}
	}

	// The second output sent them too: still three.
	for _, name := range []string{"hub", "hub-again"} {
		eventually(t, name+" delivered all three", func() error {
			o := &v1alpha1.ZenOutput{}
			if err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, o); err != nil {
				return err
			}
			if o.Status.Delivered < 3 {
				return fmt.Errorf("delivered %d (%s)", o.Status.Delivered, o.Status.LastError)
			}
			return nil
		})
	}
	if evs, err := hubEvents(); err != nil || len(evs) != 3 {
		t.Fatalf("two outputs made %d findings on the hub: %v", len(evs), err)
	}

	// Resolved on A, resolved on B.
	ev := &zenv1.ZenAgentEvent{}
	if err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: names[1]}, ev); err != nil {
		t.Fatal(err)
	}
	resolvedAt := metav1.NewTime(time.Now().Truncate(time.Second))
	ev.Status.State, ev.Status.ResolvedAt = zenv1.StateResolved, &resolvedAt
	if err := k8sClient.Update(ctx, ev); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the resolution on hub B", func() error {
		evs, err := hubEvents()
		if err != nil {
			return err
		}
		if s := evs[wantKey(1)].Status.State; s != zenv1.StateResolved {
			return fmt.Errorf("state %q", s)
		}
		return nil
	})
	evs, _ = hubEvents()
	if len(evs) != 3 || evs[wantKey(0)].Status.State != zenv1.StateOpen {
		t.Fatalf("after a repeat and a resolution the hub holds %d findings: %v", len(evs), keys(evs))
	}
}

func keys(m map[string]zenv1.ZenAgentEvent) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
