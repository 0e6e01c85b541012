package watch

import (
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/mapping"
)

func configMap(ns, name string, data map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"namespace": ns, "name": name, "uid": "u-1", "resourceVersion": "7",
			"managedFields": []any{map[string]any{"manager": "kubectl"}}},
		"data": data,
	}}
}

// dataMapping maps data.severity, drops "none"; with ns, the resource is
// a Pod in data.ns.
func dataMapping(t testing.TB, ns bool) *mapping.Program {
	t.Helper()
	m := v1alpha1.Mapping{Severity: `object.data.severity`, Category: `"compliance"`, EventType: `"config-check"`,
		DedupKey: `object.metadata.name`, Filter: `object.data.severity != "none"`}
	if ns {
		m.Resource = `{"kind": "Pod", "name": "p", "namespace": object.data.ns}`
	}
	p, err := mapping.Compile(m, mapping.VarObject)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMapObject(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		tenant   bool
		ns       bool // the mapping names the resource
		data     map[string]any
		found    bool
		dropped  bool
		reason   string // of the error, when one is wanted
		resource zenv1.ResourceRef
	}{
		{name: "defaults to the watched object", tenant: true, data: map[string]any{"severity": "HIGH"}, found: true,
			resource: zenv1.ResourceRef{APIVersion: "v1", Kind: "ConfigMap", Name: "cm", Namespace: "team-a"}},
		{name: "the mapping's own resource", tenant: true, ns: true, data: map[string]any{"severity": "LOW", "ns": "team-a"}, found: true,
			resource: zenv1.ResourceRef{Kind: "Pod", Name: "p", Namespace: "team-a"}},
		{name: "a tenant naming another namespace", tenant: true, ns: true, data: map[string]any{"severity": "LOW", "ns": "team-b"}, reason: mapping.ReasonOtherNamespace},
		{name: "home may name any namespace", ns: true, data: map[string]any{"severity": "LOW", "ns": "team-b"}, found: true,
			resource: zenv1.ResourceRef{Kind: "Pod", Name: "p", Namespace: "team-b"}},
		{name: "filtered", tenant: true, data: map[string]any{"severity": "none"}, dropped: true},
		{name: "severity outside the enum", tenant: true, data: map[string]any{"severity": "fail"}, reason: mapping.ReasonUnknownValue},
		{name: "no severity", tenant: true, data: map[string]any{}, reason: mapping.ReasonEval},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &Source{Namespace: "team-a", Name: "configs", Mapper: dataMapping(t, tc.ns)}
			m := mapObject(context.Background(), src, tc.tenant, configMap("team-a", "cm", tc.data), now)
			if m.Name != "cm" || m.Namespace != "team-a" || m.ResourceVersion != "7" || m.UID != "u-1" || m.ManagedFields != nil {
				t.Errorf("identity: %+v", m.ObjectMeta)
			}
			if m.dropped != tc.dropped {
				t.Errorf("dropped %v", m.dropped)
			}
			if tc.reason != "" {
				if m.err == nil || m.reason() != tc.reason || len(m.found) != 0 {
					t.Fatalf("want a %s rejection, got %v %v", tc.reason, m.err, m.found)
				}
				if !strings.Contains(m.err.Error(), "ConfigMap team-a/cm") {
					t.Errorf("the error names the object: %v", m.err)
				}
				return
			}
			if m.err != nil {
				t.Fatal(m.err)
			}
			if !tc.found {
				if len(m.found) != 0 {
					t.Errorf("found %v", m.found)
				}
				return
			}
			f := m.findings()[0]
			if f.Source != "configs" || f.DedupKey != "team-a/configs/cm" || f.Resource == nil || *f.Resource != tc.resource {
				t.Errorf("finding: source %q key %q resource %+v", f.Source, f.DedupKey, f.Resource)
			}
			if f.EventNamespace != tc.resource.Namespace {
				t.Errorf("written in %q, want the resource's namespace %q", f.EventNamespace, tc.resource.Namespace)
			}
		})
	}
}

// A copy goes to the Watcher, which stamps origins: the cached mapping
// stays as it was.
func TestFindingsAreCopied(t *testing.T) {
	m := mapObject(context.Background(), &Source{Namespace: "ns", Name: "s", Mapper: dataMapping(t, false)}, false, configMap("ns", "cm", map[string]any{"severity": "HIGH"}), time.Now())
	fs := m.findings()
	fs[0].Origin = finding.Origin{Scope: "x", Object: "y"}
	if !m.found[0].Origin.IsZero() {
		t.Error("the cached finding changed")
	}
	if c := m.DeepCopyObject().(*mapped); c == m || c.Name != m.Name {
		t.Error("DeepCopyObject")
	}
}

func TestRefusal(t *testing.T) {
	r := New(Options{HomeNamespace: "zen-system"})
	ok := v1alpha1.WatchSource{APIVersion: "v1", Kind: "Event", LabelSelector: "app in (a,b)", FieldSelector: "type=Warning"}
	for _, tc := range []struct {
		name   string
		src    Source
		reason string
	}{
		{"home, all namespaces", Source{Namespace: "zen-system", Name: "w", Watch: with(ok, func(w *v1alpha1.WatchSource) { w.AllNamespaces = true })}, ""},
		{"tenant, own namespace", Source{Namespace: "team-a", Name: "w", Watch: ok}, ""},
		{"tenant, all namespaces", Source{Namespace: "team-a", Name: "w", Watch: with(ok, func(w *v1alpha1.WatchSource) { w.AllNamespaces = true })}, v1alpha1.ReasonNotAllowed},
		{"a name that is no label value", Source{Namespace: "team-a", Name: "a.b", Watch: ok}, v1alpha1.ReasonNotAllowed},
		{"bad label selector", Source{Namespace: "team-a", Name: "w", Watch: with(ok, func(w *v1alpha1.WatchSource) { w.LabelSelector = "app in (" })}, ReasonInvalidSelector},
		{"bad field selector", Source{Namespace: "team-a", Name: "w", Watch: with(ok, func(w *v1alpha1.WatchSource) { w.FieldSelector = "type" })}, ReasonInvalidSelector},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reason, msg := r.refusal(tc.src, tc.src.Namespace != "zen-system")
			if reason != tc.reason || (reason != "" && msg == "") {
				t.Errorf("refusal %q %q, want %q", reason, msg, tc.reason)
			}
		})
	}
}

func with(w v1alpha1.WatchSource, change func(*v1alpha1.WatchSource)) v1alpha1.WatchSource {
	change(&w)
	return w
}
