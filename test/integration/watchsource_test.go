package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/dynsource/watch"
	"github.com/kube-zen/zen-watcher/internal/mapping"
)

// warningExample reads the Warning Events example and compiles its
// mapping.
func warningExample(t *testing.T) (v1alpha1.ZenSource, *mapping.Program) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(), "deploy", "examples", "sources", "warning-events.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var zs v1alpha1.ZenSource
	if err := yaml.UnmarshalStrict(b, &zs); err != nil {
		t.Fatal(err)
	}
	p, err := mapping.Compile(zs.Spec.Mapping, mapping.VarObject)
	if err != nil {
		t.Fatal(err)
	}
	return zs, p
}

// TestWatchSourceWarningEvents: the example, a source in zen-watcher's
// namespace, watches Warning Events in every namespace. Events in two namespaces become
// findings there; an update of an Event adds an occurrence; a deleted
// Event resolves its finding, also when it is deleted while no watch runs.
func TestWatchSourceWarningEvents(t *testing.T) {
	home, a, b := newNamespace(t), newNamespace(t), newNamespace(t)
	ctx := context.Background()
	example, prog := warningExample(t)
	// The API server takes the example as it is (schema, CEL rules).
	example.Namespace = home
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&example)
	if err != nil {
		t.Fatal(err)
	}
	if err := k8sClient.Create(ctx, &unstructured.Unstructured{Object: obj}); err != nil {
		t.Fatalf("creating the example ZenSource: %v", err)
	}
	src := watch.Source{Namespace: home, Name: example.Name, Generation: 1, Mapper: prog, Watch: *example.Spec.Watch}
	r := startWatchRunner(t, restConfig, home)
	r.Apply(src)
	r.waitStatus(t, src.Key(), v1alpha1.ReasonReady)

	mount := k8sEvent(a, "mount", corev1.EventTypeWarning, "FailedMount", "MountVolume.SetUp failed for volume \"secret\"")
	for _, e := range []*corev1.Event{
		mount,
		k8sEvent(b, "backoff", corev1.EventTypeWarning, "BackOff", "Back-off restarting failed container"),
		k8sEvent(b, "unschedulable", corev1.EventTypeWarning, "FailedScheduling", "0/3 nodes are available"),
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
	eventually(t, "the BackOff and FailedScheduling findings", func() error {
		if evs := sourceEventsIn(t, b, src.Name); len(evs) != 2 {
			return fmt.Errorf("%d events", len(evs))
		}
		return nil
	})

	// The kubelet counts a repeat on the Event: one more occurrence.
	mount.Count, mount.LastTimestamp = 2, metav1.NewTime(time.Now())
	if err := k8sClient.Update(ctx, mount); err != nil {
		t.Fatal(err)
	}
	oneEvent(t, a, src.Name, "the updated Event counted", stateIs(zenv1.StateOpen, 2))

	if err := k8sClient.Delete(ctx, k8sEvent(b, "backoff", "", "", "")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the deleted Event's finding resolved", func() error {
		for _, ev := range sourceEventsIn(t, b, src.Name) {
			want := zenv1.StateOpen
			if ev.Spec.Rule == "BackOff" {
				want = zenv1.StateResolved
			}
			if ev.Status.State != want {
				return fmt.Errorf("%s (%s): %s, want %s", ev.Name, ev.Spec.Rule, ev.Status.State, want)
			}
		}
		return nil
	})

	if n := r.counts.of(src.Key()); n.received < 4 || n.stored < 4 || n.rejected != 0 || n.last.IsZero() {
		t.Errorf("counts: %+v", n)
	}
	if filtered := counterValue(t, r.registry, "zen_watcher_source_errors_total"); filtered < 1 {
		t.Errorf("the Warning the filter dropped is not counted")
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

// labelMapping maps ConfigMaps labelled for a test: severity from data,
// dropped when it is "none"; the resource is the ConfigMap, or, with
// resourceNS, one of that name in resourceNS.
func labelMapping(t *testing.T, resourceNS string) *mapping.Program {
	t.Helper()
	m := v1alpha1.Mapping{Severity: `object.data.severity`, Category: `"compliance"`, EventType: `"config-check"`,
		DedupKey: `object.metadata.name`, Filter: `object.data.severity != "none"`}
	if resourceNS != "" {
		m.Resource = `{"apiVersion": "v1", "kind": "ConfigMap", "name": object.metadata.name, "namespace": "` + resourceNS + `"}`
	}
	p, err := mapping.Compile(m, mapping.VarObject)
	if err != nil {
		t.Fatal(err)
	}
	return p
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
	src := watch.Source{Namespace: tenant, Name: "configs", Generation: 1, Watch: spec, Mapper: labelMapping(t, "")}
	r.Apply(src)
	all := src
	all.Name, all.Watch.AllNamespaces = "configs-everywhere", true
	r.Apply(all)
	elsewhere := src
	elsewhere.Name, elsewhere.Mapper = "configs-elsewhere", labelMapping(t, other)
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
		if n := r.counts.of(elsewhere.Key()); n.rejected != 1 || n.stored != 0 {
			return fmt.Errorf("%+v", n)
		}
		return nil
	})
	if n := r.counts.of(src.Key()); n.received != 1 {
		t.Errorf("the tenant's source read %d objects; only its own namespace's one is visible", n.received)
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

// widgetCRD is a namespaced kind of a group of the test's own, so that no
// other test ever serves it.
func widgetCRD(group string) *apiextensionsv1.CustomResourceDefinition {
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "widgets." + group},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: group, Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "widgets", Singular: "widget", Kind: "Widget", ListKind: "WidgetList"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", XPreserveUnknownFields: ptr.To(true)}}}},
		},
	}
}

// TestWatchSourceKindNotFoundUntilTheCRDIsInstalled: a source naming a
// kind the API server does not serve is Ready=False KindNotFound, and
// retried: once the CRD is installed, it watches without being touched.
func TestWatchSourceKindNotFoundUntilTheCRDIsInstalled(t *testing.T) {
	home := newNamespace(t)
	ctx := context.Background()
	group := home + ".widgets.example.com"
	r := startWatchRunner(t, restConfig, home)
	src := watch.Source{Namespace: home, Name: "widgets", Generation: 1, Mapper: labelMapping(t, ""),
		Watch: watchSpec(group+"/v1", "Widget", false, "")}
	r.Apply(src)
	st := r.waitStatus(t, src.Key(), v1alpha1.ReasonKindNotFound)
	if st.Ready != metav1.ConditionFalse || !strings.Contains(st.Message, "Widget") {
		t.Errorf("before the CRD: %+v", st)
	}

	crd := widgetCRD(group)
	if _, err := envtest.InstallCRDs(restConfig, envtest.CRDInstallOptions{CRDs: []*apiextensionsv1.CustomResourceDefinition{crd}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), crd) })
	r.waitStatus(t, src.Key(), v1alpha1.ReasonReady)
	w := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": group + "/v1", "kind": "Widget",
		"metadata": map[string]any{"namespace": home, "name": "w1"},
		"data":     map[string]any{"severity": "LOW"},
	}}
	if err := k8sClient.Create(ctx, w); err != nil {
		t.Fatal(err)
	}
	ev := oneEvent(t, home, src.Name, "the Widget's finding", stateIs(zenv1.StateOpen, 1))
	if ev.Spec.Resource == nil || ev.Spec.Resource.APIVersion != group+"/v1" || ev.Spec.Resource.Kind != "Widget" {
		t.Errorf("resource: %+v", ev.Spec.Resource)
	}
}

// TestWatchSourceForbiddenUntilGranted: a watch sees only what the
// daemon's RBAC allows. Without list and watch on the kind the source is
// Ready=False Forbidden, saying what to grant; once granted, it watches
// without being touched.
func TestWatchSourceForbiddenUntilGranted(t *testing.T) {
	home, tenant := newNamespace(t), newNamespace(t)
	ctx := context.Background()
	user := "zen-watch-" + tenant
	rc := rest.CopyConfig(restConfig)
	rc.Impersonate = rest.ImpersonationConfig{UserName: user}
	r := startWatchRunner(t, rc, home)
	src := watch.Source{Namespace: tenant, Name: "configs", Generation: 1, Mapper: labelMapping(t, ""),
		Watch: v1alpha1.WatchSource{APIVersion: "v1", Kind: "ConfigMap", LabelSelector: "zen-test=watch"}}
	r.Apply(src)
	st := r.waitStatus(t, src.Key(), v1alpha1.ReasonForbidden)
	if st.Ready != metav1.ConditionFalse || !strings.Contains(st.Message, "get, list and watch") || !strings.Contains(st.Message, "configmaps in namespace "+tenant) {
		t.Errorf("forbidden: %+v", st)
	}
	if err := k8sClient.Create(ctx, labelledConfigMap(tenant, "seen-later", "MEDIUM")); err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: tenant, Name: "watch-configmaps"},
		Rules: []rbacv1.PolicyRule{rule("", []string{"configmaps"}, "get", "list", "watch")}}
	binding := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: tenant, Name: "watch-configmaps"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}}}
	for _, o := range []client.Object{role, binding} {
		if err := k8sClient.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	// The informer retries with client-go's backoff (up to 30s, jittered):
	// the wait bounds the test and measures nothing.
	oneEvent(t, tenant, src.Name, "the ConfigMap's finding after the grant", stateIs(zenv1.StateOpen, 1))
	r.waitStatus(t, src.Key(), v1alpha1.ReasonReady)
}

// TestWatchSourceThroughTheDaemon: the daemon runs a watch ZenSource as
// declared, with no restart: the Warning Events example in zen-watcher's
// namespace turns on Ready and stores an Event's finding, with counters in
// its status; the same spec in a tenant's namespace is refused.
func TestWatchSourceThroughTheDaemon(t *testing.T) {
	home, a, tenant := newNamespace(t), newNamespace(t), newNamespace(t)
	ctx := context.Background()
	startDaemonWith(t, restConfig, func(c *config.Config) { c.PodNamespace = home })
	src := exampleSource(t, "warning-events.yaml", home)
	refused := exampleSource(t, "warning-events.yaml", tenant)
	for _, s := range []*v1alpha1.ZenSource{src, refused} {
		if err := k8sClient.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	readyIs(t, client.ObjectKeyFromObject(src), metav1.ConditionTrue, v1alpha1.ReasonReady)
	if c := readyIs(t, client.ObjectKeyFromObject(refused), metav1.ConditionFalse, v1alpha1.ReasonNotAllowed); c.Status.Type != v1alpha1.SourceTypeWatch {
		t.Errorf("status type %q", c.Status.Type)
	}

	if err := k8sClient.Create(ctx, k8sEvent(a, "scheduling", corev1.EventTypeWarning, "FailedScheduling", "0/3 nodes are available")); err != nil {
		t.Fatal(err)
	}
	ev := oneEvent(t, a, src.Name, "the FailedScheduling finding", stateIs(zenv1.StateOpen, 1))
	if ev.Spec.Resource == nil || ev.Spec.Resource.Name != "app-scheduling" {
		t.Errorf("resource %+v", ev.Spec.Resource)
	}
	eventually(t, "the counters in the status", func() error {
		cur := &v1alpha1.ZenSource{}
		if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(src), cur); err != nil {
			return err
		}
		if cur.Status.Received < 1 || cur.Status.Stored < 1 || cur.Status.LastEventTime == nil {
			return fmt.Errorf("status %+v", cur.Status)
		}
		return nil
	})
}
