package output

import (
	"context"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/api/v1alpha1"
)

func output(ns string, spec v1alpha1.ZenOutputSpec) *v1alpha1.ZenOutput {
	return &v1alpha1.ZenOutput{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "o"}, Spec: spec}
}

func finding(ns, source string, sev zenv1.Severity, details string) *zenv1.ZenAgentEvent {
	e := &zenv1.ZenAgentEvent{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "e"},
		Spec: zenv1.ZenAgentEventSpec{Source: source, Severity: sev, EventType: "runtime-security"}}
	if details != "" {
		e.Spec.Details = &apiextensionsv1.JSON{Raw: []byte(details)}
	}
	return e
}

func TestMatcherScopeSeveritySources(t *testing.T) {
	own := "zen-system"
	m, err := NewMatcher(output("tenant-a", v1alpha1.ZenOutputSpec{MinSeverity: "HIGH", Sources: []string{"falco"}}), own)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		e    *zenv1.ZenAgentEvent
		want bool
	}{
		{finding("tenant-a", "falco", "HIGH", ""), true},
		{finding("tenant-a", "falco", "CRITICAL", ""), true},
		{finding("tenant-a", "falco", "MEDIUM", ""), false},
		{finding("tenant-a", "trivy", "CRITICAL", ""), false},
		{finding("tenant-b", "falco", "CRITICAL", ""), false},
	}
	for _, tc := range cases {
		if got := m.Cheap(tc.e); got != tc.want {
			t.Errorf("Cheap(%s %s %s) = %v, want %v", tc.e.Namespace, tc.e.Spec.Source, tc.e.Spec.Severity, got, tc.want)
		}
	}
	all, _ := NewMatcher(output(own, v1alpha1.ZenOutputSpec{}), own)
	if !all.Cheap(finding("tenant-b", "trivy", "INFO", "")) {
		t.Error("an output in zen-watcher's namespace must see every namespace and severity")
	}
	for _, tr := range []Trigger{TriggerCreated, TriggerEscalated, TriggerResolved} {
		if !all.Wants(tr) {
			t.Errorf("an output without spec.on must want %s", tr)
		}
	}
	some, _ := NewMatcher(output(own, v1alpha1.ZenOutputSpec{On: []v1alpha1.OutputTrigger{"Resolved"}}), own)
	if some.Wants(TriggerCreated) || !some.Wants(TriggerResolved) {
		t.Error("spec.on [Resolved] must want Resolved only")
	}
}

func TestMatcherFilter(t *testing.T) {
	m, err := NewMatcher(output("ns", v1alpha1.ZenOutputSpec{Filter: `finding.details.rule != "Read sensitive file untrusted" && finding.resource.namespace != "kube-system"`}), "zen")
	if err != nil {
		t.Fatal(err)
	}
	for details, want := range map[string]bool{
		`{"rule":"Terminal shell in container"}`:   true,
		`{"rule":"Read sensitive file untrusted"}`: false,
	} {
		got, err := m.Filter(context.Background(), finding("ns", "falco", "HIGH", details))
		if err != nil || got != want {
			t.Errorf("Filter(%s) = %v, %v; want %v", details, got, err, want)
		}
	}
	if _, err := m.Filter(context.Background(), finding("ns", "falco", "HIGH", `{"rule":`)); err == nil {
		t.Error("details that are not JSON must be an error, not a match")
	}
	for expr, want := range map[string]string{
		`finding.severty == "HIGH"`: "no member",
		`size(finding.title) + 1`:   "want bool",
		`finding.severity ==`:       "compiling",
		strings.Repeat("a", 5000):   "compiling",
	} {
		if _, err := NewMatcher(output("ns", v1alpha1.ZenOutputSpec{Filter: expr}), "zen"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("filter %.30q: error %v, want one containing %q", expr, err, want)
		}
	}
}
