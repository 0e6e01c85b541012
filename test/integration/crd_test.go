package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

// validEvent returns an event that the schema accepts; tests break one thing
// at a time.
func validEvent(name string) map[string]any {
	return map[string]any{
		"apiVersion": zenv1.GroupVersion.String(),
		"kind":       "ZenAgentEvent",
		"metadata": map[string]any{
			"name":      name,
			"namespace": "default",
			"labels":    map[string]any{"source": "trivy", "category": "security", "severity": "HIGH", "rule": "CVE-2026-0001"},
		},
		"spec": map[string]any{
			"source":     "trivy",
			"category":   "security",
			"severity":   "HIGH",
			"eventType":  "vulnerability",
			"rule":       "CVE-2026-0001",
			"title":      "nginx: heap overflow in the resolver",
			"detectedAt": "2026-11-23T10:00:00Z",
			"resource":   map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx", "namespace": "default"},
			"dedupKey":   "default/Deployment/nginx/nginx/CVE-2026-0001",
			"details":    map[string]any{"vulnerabilityID": "CVE-2026-0001", "score": 8.1, "nested": map[string]any{"kept": true}},
		},
	}
}

func createRaw(t *testing.T, obj map[string]any) error {
	t.Helper()
	dc, err := dynamic.NewForConfig(restConfig)
	if err != nil {
		t.Fatal(err)
	}
	_, err = dc.Resource(zaeGVR).Namespace("default").Create(context.Background(), &unstructured.Unstructured{Object: obj}, metav1.CreateOptions{})
	return err
}

func uniqueName(t *testing.T) string {
	return strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())) + fmt.Sprintf("-%d", time.Now().UnixNano()%1e6)
}

func TestValidEventIsAcceptedAndDetailsPreserved(t *testing.T) {
	name := uniqueName(t)
	if err := createRaw(t, validEvent(name)); err != nil {
		t.Fatalf("valid event rejected: %v", err)
	}
	var got zenv1.ZenAgentEvent
	if err := k8sClient.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: name}, &got); err != nil {
		t.Fatal(err)
	}
	var details map[string]any
	if err := json.Unmarshal(got.Spec.Details.Raw, &details); err != nil {
		t.Fatal(err)
	}
	if details["score"] != 8.1 || details["nested"].(map[string]any)["kept"] != true {
		t.Errorf("details not preserved: %s", got.Spec.Details.Raw)
	}
	if got.Spec.Resource == nil || got.Spec.Resource.Kind != "Deployment" || got.Spec.Severity != zenv1.SeverityHigh {
		t.Errorf("spec not stored as sent: %+v", got.Spec)
	}
}

func TestSchemaRejectsMalformedEvents(t *testing.T) {
	long := strings.Repeat("x", zenv1.MaxStringLength+1)
	manyDetails := map[string]any{}
	for i := range 65 {
		manyDetails[fmt.Sprintf("k%d", i)] = i
	}
	cases := []struct {
		name    string
		mutate  func(spec map[string]any)
		wantMsg string
	}{
		{"unknown severity", func(s map[string]any) { s["severity"] = "SEVERE" }, "spec.severity"},
		{"lowercase severity", func(s map[string]any) { s["severity"] = "high" }, "spec.severity"},
		{"missing source", func(s map[string]any) { delete(s, "source") }, "spec.source"},
		{"uppercase source", func(s map[string]any) { s["source"] = "Trivy" }, "spec.source"},
		{"source too long for a label", func(s map[string]any) { s["source"] = strings.Repeat("a", 64) }, "spec.source"},
		{"unknown category", func(s map[string]any) { s["category"] = "performance" }, "spec.category"},
		{"missing category", func(s map[string]any) { delete(s, "category") }, "spec.category"},
		{"missing eventType", func(s map[string]any) { delete(s, "eventType") }, "spec.eventType"},
		{"eventType with spaces", func(s map[string]any) { s["eventType"] = "policy violation" }, "spec.eventType"},
		{"missing detectedAt", func(s map[string]any) { delete(s, "detectedAt") }, "spec.detectedAt"},
		{"detectedAt not a time", func(s map[string]any) { s["detectedAt"] = "yesterday" }, "spec.detectedAt"},
		{"missing dedupKey", func(s map[string]any) { delete(s, "dedupKey") }, "spec.dedupKey"},
		{"empty dedupKey", func(s map[string]any) { s["dedupKey"] = "" }, "spec.dedupKey"},
		{"dedupKey over 1024", func(s map[string]any) { s["dedupKey"] = long }, "spec.dedupKey"},
		{"resource without kind", func(s map[string]any) { delete(s["resource"].(map[string]any), "kind") }, "spec.resource.kind"},
		{"resource name too long", func(s map[string]any) { s["resource"].(map[string]any)["name"] = long }, "spec.resource.name"},
		{"details not an object", func(s map[string]any) { s["details"] = "text" }, "spec.details"},
		{"details with too many fields", func(s map[string]any) { s["details"] = manyDetails }, "spec.details"},
		{"severity wrong type", func(s map[string]any) { s["severity"] = 3 }, "spec.severity"},
		{"rule over 253", func(s map[string]any) { s["rule"] = strings.Repeat("r", zenv1.MaxRuleLength+1) }, "spec.rule"},
		{"title over 1024", func(s map[string]any) { s["title"] = long }, "spec.title"},
		{"rule wrong type", func(s map[string]any) { s["rule"] = 7 }, "spec.rule"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			obj := validEvent(uniqueName(t))
			c.mutate(obj["spec"].(map[string]any))
			err := createRaw(t, obj)
			if !apierrors.IsInvalid(err) && !apierrors.IsBadRequest(err) {
				t.Fatalf("want the API server to reject it as invalid, got %v", err)
			}
			if !strings.Contains(err.Error(), c.wantMsg) {
				t.Errorf("error should name %s: %v", c.wantMsg, err)
			}
		})
	}
}

// TestEventWithoutRuleOrTitleStaysValid: events stored before spec.rule
// and spec.title existed have neither, and must still be accepted.
func TestEventWithoutRuleOrTitleStaysValid(t *testing.T) {
	obj := validEvent(uniqueName(t))
	delete(obj["spec"].(map[string]any), "rule")
	delete(obj["spec"].(map[string]any), "title")
	delete(obj["metadata"].(map[string]any)["labels"].(map[string]any), "rule")
	if err := createRaw(t, obj); err != nil {
		t.Fatalf("event without rule and title rejected: %v", err)
	}
}

func TestHostLevelEventNeedsNoResource(t *testing.T) {
	obj := validEvent(uniqueName(t))
	delete(obj["spec"].(map[string]any), "resource")
	if err := createRaw(t, obj); err != nil {
		t.Fatalf("event without resource rejected: %v", err)
	}
}

func TestDedupKeyAndSourceAreImmutable(t *testing.T) {
	ctx := context.Background()
	name := uniqueName(t)
	if err := createRaw(t, validEvent(name)); err != nil {
		t.Fatal(err)
	}
	for _, change := range []func(*zenv1.ZenAgentEvent){
		func(e *zenv1.ZenAgentEvent) { e.Spec.DedupKey = "other" },
		func(e *zenv1.ZenAgentEvent) { e.Spec.Source = "kyverno" },
	} {
		var ev zenv1.ZenAgentEvent
		if err := k8sClient.Get(ctx, client.ObjectKey{Namespace: "default", Name: name}, &ev); err != nil {
			t.Fatal(err)
		}
		change(&ev)
		if err := k8sClient.Update(ctx, &ev); !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "immutable") {
			t.Errorf("want immutable error, got %v", err)
		}
	}
}

// TestCreateCarriesStatus: ZenAgentEvent has no status subresource, so the
// status a create sends is stored (one write per new finding), a later
// status change goes through the object itself, and the status rules still
// hold.
func TestCreateCarriesStatus(t *testing.T) {
	ctx := context.Background()
	name := uniqueName(t)
	obj := validEvent(name)
	obj["status"] = map[string]any{"count": 1, "firstSeen": "2026-11-23T10:00:00Z", "lastSeen": "2026-11-23T10:00:00Z"}
	if err := createRaw(t, obj); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKey{Namespace: "default", Name: name}
	var ev zenv1.ZenAgentEvent
	if err := k8sClient.Get(ctx, key, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Status.Count != 1 || ev.Status.LastSeen == nil || ev.Status.State != zenv1.StateOpen {
		t.Fatalf("the create's status was not stored (state defaults to Open): %+v", ev.Status)
	}

	now := metav1.NewTime(time.Now().Truncate(time.Second))
	ev.Status = zenv1.ZenAgentEventStatus{Count: 7, FirstSeen: &now, LastSeen: &now, State: zenv1.StateOpen}
	if err := k8sClient.Update(ctx, &ev); err != nil {
		t.Fatalf("status update: %v", err)
	}
	if err := k8sClient.Get(ctx, key, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Status.Count != 7 {
		t.Fatalf("status update lost: %+v", ev.Status)
	}

	ev.Status.State = zenv1.StateResolved
	if err := k8sClient.Update(ctx, &ev); !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "resolvedAt") {
		t.Fatalf("Resolved without resolvedAt: want invalid, got %v", err)
	}
	ev.Status.ResolvedAt = &now
	if err := k8sClient.Update(ctx, &ev); err != nil {
		t.Fatalf("Resolved with resolvedAt: %v", err)
	}
	bad := validEvent(uniqueName(t))
	bad["status"] = map[string]any{"count": -1}
	if err := createRaw(t, bad); !apierrors.IsInvalid(err) {
		t.Fatalf("a negative count: want invalid, got %v", err)
	}
}

func TestKubectlShowsPrinterColumnsAndSelectsByLabel(t *testing.T) {
	name := uniqueName(t)
	if err := createRaw(t, validEvent(name)); err != nil {
		t.Fatal(err)
	}
	out := kubectl(t, "get", "zae", "-n", "default", "-l", "severity=HIGH", "--field-selector", "metadata.name="+name)
	header := strings.Fields(strings.SplitN(out, "\n", 2)[0])
	want := []string{"NAME", "SOURCE", "CATEGORY", "SEVERITY", "TYPE", "RULE", "RESOURCE", "COUNT", "AGE"}
	if strings.Join(header, " ") != strings.Join(want, " ") {
		t.Errorf("columns = %v, want %v\n%s", header, want, out)
	}
	if !strings.Contains(out, "trivy") || !strings.Contains(out, "vulnerability") || !strings.Contains(out, "nginx") || !strings.Contains(out, "CVE-2026-0001") {
		t.Errorf("row lacks values:\n%s", out)
	}
	wide := kubectl(t, "get", "zenagentevents", "-n", "default", name, "-o", "wide")
	for _, col := range []string{"TITLE", "KIND", "STATE", "LAST-SEEN", "nginx: heap overflow in the resolver"} {
		if !strings.Contains(wide, col) {
			t.Errorf("-o wide lacks %s:\n%s", col, wide)
		}
	}
	if byRule := kubectl(t, "get", "zae", "-n", "default", "-l", "rule=CVE-2026-0001", "-o", "name"); !strings.Contains(byRule, name) {
		t.Errorf("label selector rule=CVE-2026-0001 missed the event:\n%s", byRule)
	}
	if none := kubectl(t, "get", "zae", "-n", "default", "-l", "severity=LOW", "-o", "name"); strings.Contains(none, name) {
		t.Errorf("label selector severity=LOW matched a HIGH event")
	}
}

func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(assetsDir(), "kubectl"), append([]string{"--kubeconfig", kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestCRDIsStructuralAndEstablished(t *testing.T) {
	var crd apiextensionsv1.CustomResourceDefinition
	if err := k8sClient.Get(context.Background(), client.ObjectKey{Name: zenv1.ZenAgentEventGroupResource.String()}, &crd); err != nil {
		t.Fatal(err)
	}
	if crd.Spec.Names.ShortNames[0] != "zae" || crd.Spec.Scope != apiextensionsv1.NamespaceScoped {
		t.Errorf("names/scope wrong: %+v %s", crd.Spec.Names, crd.Spec.Scope)
	}
	for _, c := range crd.Status.Conditions {
		if c.Type == apiextensionsv1.NonStructuralSchema && c.Status == apiextensionsv1.ConditionTrue {
			t.Errorf("schema is not structural: %s", c.Message)
		}
	}
}
