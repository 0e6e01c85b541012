package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/dynsource/watch"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// warningMapper maps the Warning Events the example names, as its CEL
// mapping does.
var warningMapper = watch.MapperFunc(func(_ context.Context, o map[string]any) (finding.Finding, bool, error) {
	reason, _, _ := unstructured.NestedString(o, "reason")
	sev, ok := map[string]zenv1.Severity{"FailedMount": zenv1.SeverityHigh, "BackOff": zenv1.SeverityMedium, "FailedScheduling": zenv1.SeverityMedium}[reason]
	if !ok {
		return finding.Finding{}, false, nil
	}
	io, _, _ := unstructured.NestedStringMap(o, "involvedObject")
	return finding.Finding{
		Category: zenv1.CategorySecurity, Severity: sev, EventType: "kubernetes-warning", Rule: reason,
		Resource: &zenv1.ResourceRef{APIVersion: io["apiVersion"], Kind: io["kind"], Name: io["name"], Namespace: io["namespace"]},
		DedupKey: io["namespace"] + "/" + io["kind"] + "/" + io["name"] + "/" + reason,
	}, true, nil
})

// TestWatchSourceWarningEvents: a source in zen-watcher's namespace watches
// Warning Events in every namespace. Events in two namespaces become
// findings there; an update of an Event adds an occurrence; a deleted
// Event resolves its finding, also when it is deleted while no watch runs.
func TestWatchSourceWarningEvents(t *testing.T) {
	home, a, b := newNamespace(t), newNamespace(t), newNamespace(t)
	ctx := context.Background()
	src := watch.Source{Namespace: home, Name: "k8s-warnings", Generation: 1, Mapper: warningMapper,
		Watch: watchSpec("v1", "Event", true, "type=Warning")}
	r := startWatchRunner(t, restConfig, home)
	r.Apply(src)
	r.waitStatus(t, src.Key(), v1alpha1.ReasonReady)

	mount := k8sEvent(a, "mount", corev1.EventTypeWarning, "FailedMount", "MountVolume.SetUp failed for volume \"secret\"")
	for _, e := range []*corev1.Event{
		mount,
		k8sEvent(b, "backoff", corev1.EventTypeWarning, "BackOff", "Back-off restarting failed container"),
		k8sEvent(a, "pulled", corev1.EventTypeNormal, "BackOff", "a Normal event: not selected"),
		k8sEvent(b, "other", corev1.EventTypeWarning, "Unhealthy", "not a reason the mapping keeps"),
	} {
		if err := k8sClient.Create(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	evA := oneEvent(t, a, src.Name, "the FailedMount finding", stateIs(zenv1.StateOpen, 1))
	if evA.Spec.Resource == nil || evA.Spec.Resource.Name != "app-mount" || evA.Spec.Severity != zenv1.SeverityHigh || evA.Spec.Rule != "FailedMount" {
		t.Errorf("FailedMount finding: %+v", evA.Spec)
	}
	oneEvent(t, b, src.Name, "the BackOff finding", stateIs(zenv1.StateOpen, 1))

	// The kubelet counts a repeat on the Event: one more occurrence.
	mount.Count, mount.LastTimestamp = 2, metav1.NewTime(time.Now())
	if err := k8sClient.Update(ctx, mount); err != nil {
		t.Fatal(err)
	}
	oneEvent(t, a, src.Name, "the updated Event counted", stateIs(zenv1.StateOpen, 2))

	if err := k8sClient.Delete(ctx, k8sEvent(b, "backoff", "", "", "")); err != nil {
		t.Fatal(err)
	}
	oneEvent(t, b, src.Name, "the deleted Event's finding resolved", stateIs(zenv1.StateResolved, 1))

	st, _ := r.Status(src.Key())
	if st.Received < 3 || st.Stored < 3 || st.Dropped < 1 || st.LastEventTime.IsZero() {
		t.Errorf("counters: %+v", st)
	}

	// Restart safety: the Event is deleted while no watch runs; the next
	// leader's watch resolves its finding from the stored events.
	r.Remove(src.Key())
	eventually(t, "the source stopped", func() error {
		if _, ok := r.Status(src.Key()); ok {
			return fmt.Errorf("still declared")
		}
		return nil
	})
	if err := k8sClient.Delete(ctx, mount); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // nothing watches: nothing may change
	oneEvent(t, a, src.Name, "no change while stopped", stateIs(zenv1.StateOpen, 2))
	next := startWatchRunner(t, restConfig, home)
	next.Apply(src)
	oneEvent(t, a, src.Name, "resolved by the next watch", stateIs(zenv1.StateResolved, 2))
}

// labelMapper maps ConfigMaps labelled for a test: severity from data,
// dropped when it is "none"; resource in namespace ns when set.
func labelMapper(resourceNS string) watch.Mapper {
	return watch.MapperFunc(func(_ context.Context, o map[string]any) (finding.Finding, bool, error) {
		sev, _, _ := unstructured.NestedString(o, "data", "severity")
		if sev == "none" {
			return finding.Finding{}, false, nil
		}
		name, _, _ := unstructured.NestedString(o, "metadata", "name")
		f := finding.Finding{Category: zenv1.CategoryCompliance, Severity: zenv1.Severity(sev), EventType: "config-check", DedupKey: name}
		if resourceNS != "" {
			f.Resource = &zenv1.ResourceRef{APIVersion: "v1", Kind: "ConfigMap", Name: name, Namespace: resourceNS}
		}
		return f, true, nil
	})
}

func labelledConfigMap(ns, name, severity string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"zen-test": "watch"}},
		Data: map[string]string{"severity": severity}}
}

// TestWatchSourceTenantIsConfined: a source in a tenant's namespace sees
// only that namespace, may not ask for all of them, and may not make
// findings about another namespace; a finding whose object stops passing
// the filter is resolved.
func TestWatchSourceTenantIsConfined(t *testing.T) {
	home, tenant, other := newNamespace(t), newNamespace(t), newNamespace(t)
	ctx := context.Background()
	r := startWatchRunner(t, restConfig, home)
	spec := v1alpha1.WatchSource{APIVersion: "v1", Kind: "ConfigMap", LabelSelector: "zen-test=watch"}
	src := watch.Source{Namespace: tenant, Name: "configs", Generation: 1, Watch: spec, Mapper: labelMapper("")}
	r.Apply(src)
	all := src
	all.Name, all.Watch.AllNamespaces = "configs-everywhere", true
	r.Apply(all)
	elsewhere := src
	elsewhere.Name, elsewhere.Mapper = "configs-elsewhere", labelMapper(other)
	r.Apply(elsewhere)

	if st := r.waitStatus(t, all.Key(), v1alpha1.ReasonNotAllowed); st.Ready != metav1.ConditionFalse {
		t.Errorf("allNamespaces in a tenant namespace: %+v", st)
	}
	r.waitStatus(t, src.Key(), v1alpha1.ReasonReady)
	r.waitStatus(t, elsewhere.Key(), v1alpha1.ReasonReady)
	mine := labelledConfigMap(tenant, "mine", "HIGH")
	for _, cm := range []*corev1.ConfigMap{labelledConfigMap(other, "theirs", "CRITICAL"), mine} {
		if err := k8sClient.Create(ctx, cm); err != nil {
			t.Fatal(err)
		}
	}
	ev := oneEvent(t, tenant, src.Name, "the tenant's own finding", stateIs(zenv1.StateOpen, 1))
	if ev.Spec.Resource == nil || ev.Spec.Resource.Kind != "ConfigMap" || ev.Spec.Resource.Name != "mine" {
		t.Errorf("the resource defaults to the watched object: %+v", ev.Spec.Resource)
	}
	eventually(t, "the finding about another namespace rejected", func() error {
		if st, _ := r.Status(elsewhere.Key()); st.Rejected != 1 || st.Stored != 0 {
			return fmt.Errorf("%+v", st)
		}
		return nil
	})
	if st, _ := r.Status(src.Key()); st.Received != 1 {
		t.Errorf("the tenant's source read %d objects; only its own namespace's one is visible", st.Received)
	}
	if evs := sourceEventsIn(t, other, src.Name); len(evs) != 0 {
		t.Errorf("%d events in the other namespace", len(evs))
	}
	if evs := sourceEventsIn(t, other, elsewhere.Name); len(evs) != 0 {
		t.Errorf("%d events written to the other namespace", len(evs))
	}

	mine.Data["severity"] = "none"
	if err := k8sClient.Update(ctx, mine); err != nil {
		t.Fatal(err)
	}
	oneEvent(t, tenant, src.Name, "resolved once the filter drops it", stateIs(zenv1.StateResolved, 1))
}
