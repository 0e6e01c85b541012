package audit

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

// fixtureWant is what each fixture event must become.
type fixtureWant struct {
	file      string
	auditID   string
	eventType string
	severity  zenv1.Severity
	rules     string
	resource  zenv1.ResourceRef
	detected  string
}

// fixtureWants is in the order of the assembled EventList. Worked out by
// hand from the events: minikube-user is not a trusted user.
var fixtureWants = []fixtureWant{
	{fxCreateSecret, "55a81824-ab56-46c5-8b02-96336f5e78d7", EventSecretModified, zenv1.SeverityHigh, "secret-modified",
		zenv1.ResourceRef{APIVersion: "v1", Kind: "Secret", Name: "example-secret", Namespace: "default"}, "2020-04-21T17:57:05.548299Z"},
	{fxExecPod, "ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6", EventPodExec, zenv1.SeverityHigh, "pod-exec",
		zenv1.ResourceRef{APIVersion: "v1", Kind: "Pod", Name: "nginx-deployment-7998647bdf-phvq7", Namespace: "default"}, "2018-10-26T13:38:34.902914Z"},
	{fxClusterAdmin, "c97244c7-4aec-4714-946a-8204d00ecdca", EventRBACModified, zenv1.SeverityCritical, "cluster-admin-binding rbac-modified",
		zenv1.ResourceRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding", Name: "some-reader-binding"}, "2018-10-26T14:26:34.242498Z"},
	{fxDeleteDeploy, "8bb19a30-3d68-4fd7-999e-90a9014afac0", EventResourceDeleted, zenv1.SeverityMedium, "resource-deleted",
		zenv1.ResourceRef{APIVersion: "extensions/v1beta1", Kind: "Deployment", Name: "nginx-deployment", Namespace: "default"}, "2018-10-26T13:09:27.548380Z"},
	// Deleting a secret is both; the more severe secret-modified wins.
	{fxDeleteSecret, "d1df3fa9-497f-49cf-bd48-60a651df8075", EventSecretModified, zenv1.SeverityHigh, "secret-modified resource-deleted",
		zenv1.ResourceRef{APIVersion: "v1", Kind: "Secret", Name: "example-secret", Namespace: "default"}, "2020-04-21T17:58:49.696309Z"},
}

// fixtureTitles are spec.title of each fixture's finding: who did what to
// which object.
var fixtureTitles = map[string]string{
	fxCreateSecret: "minikube-user create secrets default/example-secret",
	fxExecPod:      "minikube-user create pods/exec default/nginx-deployment-7998647bdf-phvq7",
	fxClusterAdmin: "minikube-user create clusterrolebindings.rbac.authorization.k8s.io some-reader-binding",
	fxDeleteDeploy: "minikube-user delete deployments.extensions default/nginx-deployment",
	fxDeleteSecret: "minikube-user delete secrets default/example-secret",
}

func checkFixtureFinding(t *testing.T, f finding.Finding, w fixtureWant) {
	t.Helper()
	if rule := strings.Fields(w.rules)[0]; f.Rule != rule || f.Title != fixtureTitles[w.file] {
		t.Errorf("%s: rule %q title %q; want %q, %q", w.file, f.Rule, f.Title, rule, fixtureTitles[w.file])
	}
	if f.EventType != w.eventType || f.Severity != w.severity || f.DedupKey != w.auditID {
		t.Errorf("%s: got %s/%s key %s; want %s/%s key %s", w.file, f.EventType, f.Severity, f.DedupKey, w.eventType, w.severity, w.auditID)
	}
	if got := strings.Join(f.Details["rules"].([]string), " "); got != w.rules || f.Details["rule"] != strings.Fields(w.rules)[0] {
		t.Errorf("%s: rules %q (chosen %v); want %q", w.file, got, f.Details["rule"], w.rules)
	}
	if f.Resource == nil || *f.Resource != w.resource {
		t.Errorf("%s: resource %+v; want %+v", w.file, f.Resource, w.resource)
	}
	if want, _ := time.Parse(time.RFC3339Nano, w.detected); !f.DetectedAt.Equal(want) {
		t.Errorf("%s: DetectedAt %v; want %v", w.file, f.DetectedAt, want)
	}
	if f.Source != SourceName || f.Category != zenv1.CategoryCompliance || !f.SingleOccurrence {
		t.Errorf("%s: source %q category %q single %v", w.file, f.Source, f.Category, f.SingleOccurrence)
	}
}

func TestFixtureEventList(t *testing.T) {
	b := parseOK(t, NewParser(nil), fixtures.Read(t, fxList))
	if b.Items != 5 || len(b.Findings) != 5 || len(b.Dropped) != 0 || len(b.Rejected) != 0 {
		t.Fatalf("got %d items, %d findings, dropped %v, rejected %v; want 5 findings", b.Items, len(b.Findings), b.Dropped, b.Rejected)
	}
	for i, w := range fixtureWants {
		t.Run(w.file, func(t *testing.T) { checkFixtureFinding(t, b.Findings[i], w) })
	}
}

func TestFixtureSingleEvents(t *testing.T) {
	p := NewParser(nil)
	for _, w := range fixtureWants {
		t.Run(w.file, func(t *testing.T) {
			b := parseOK(t, p, fixtures.Read(t, w.file))
			if b.Items != 1 || len(b.Findings) != 1 {
				t.Fatalf("got %+v; want one finding", b)
			}
			checkFixtureFinding(t, b.Findings[0], w)
		})
	}
}

func TestFixtureFieldByField(t *testing.T) {
	b := parseOK(t, NewParser(nil), fixtures.Read(t, fxExecPod))
	want := finding.Finding{
		Source: SourceName, Category: zenv1.CategoryCompliance, Severity: zenv1.SeverityHigh, EventType: EventPodExec,
		Rule: "pod-exec", Title: "minikube-user create pods/exec default/nginx-deployment-7998647bdf-phvq7",
		Resource:   &zenv1.ResourceRef{APIVersion: "v1", Kind: "Pod", Name: "nginx-deployment-7998647bdf-phvq7", Namespace: "default"},
		DetectedAt: time.Date(2018, 10, 26, 13, 38, 34, 902914000, time.UTC),
		DedupKey:   "ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6", SingleOccurrence: true,
		Details: map[string]any{
			"auditID": "ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6", "stage": "ResponseStarted", "verb": "create",
			"rule": "pod-exec", "rules": []string{"pod-exec"},
			"user": "minikube-user", "groups": []string{"system:masters", "system:authenticated"},
			"objectRef": map[string]any{"resource": "pods", "namespace": "default", "name": "nginx-deployment-7998647bdf-phvq7",
				"apiVersion": "v1", "subresource": "exec"},
			"requestURI":   "/api/v1/namespaces/default/pods/nginx-deployment-7998647bdf-phvq7/exec?command=bash&container=nginx1&container=nginx1&stdin=true&stdout=true&tty=true",
			"sourceIPs":    []string{"192.168.99.1"},
			"responseCode": 101,
			"decision":     "allow",
		},
	}
	if got := b.Findings[0]; !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%#v\nwant\n%#v", got, want)
	}
}

func TestFixtureBodiesNeverCopied(t *testing.T) {
	// The cluster-admin event carries both bodies; nothing of them may
	// reach the details (a secret's body is its data).
	b := parseOK(t, NewParser(nil), fixtures.Read(t, fxClusterAdmin))
	d := string(mustJSON(t, b.Findings[0].Details))
	for _, s := range []string{"roleRef", "subjects", "requestObject", "responseObject", "minikube\""} {
		if strings.Contains(d, s) {
			t.Errorf("details %s contain %q", d, s)
		}
	}
}

func TestFixtureAtLevelMetadata(t *testing.T) {
	// Without the bodies the binding cannot be seen to be cluster-admin,
	// and rbac-modified reports the write.
	body := fixtures.Read(t, fxClusterAdmin)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "requestObject")
	delete(m, "responseObject")
	m["level"] = "Metadata"
	b := parseOK(t, NewParser(nil), mustJSON(t, m))
	if f := b.Findings[0]; f.Severity != zenv1.SeverityHigh || f.Details["rule"] != "rbac-modified" {
		t.Errorf("got %s by %v; want HIGH by rbac-modified", f.Severity, f.Details["rule"])
	}
}

func TestFixtureTrustedUser(t *testing.T) {
	// Trusting minikube-user silences the routine rules but not exec or
	// the cluster-admin binding.
	p := NewParser(DefaultRules(append([]string{"minikube-*"}, DefaultTrustedUsers...)))
	b := parseOK(t, p, fixtures.Read(t, fxList))
	var got []string
	for _, f := range b.Findings {
		got = append(got, f.Details["rule"].(string))
	}
	if strings.Join(got, " ") != "pod-exec cluster-admin-binding" || b.Dropped[DropUnimportant] != 3 {
		t.Errorf("got %v, dropped %v; want pod-exec cluster-admin-binding and 3 unimportant", got, b.Dropped)
	}
}

func TestStages(t *testing.T) {
	cases := []struct {
		stage   string
		finding bool
	}{
		{"ResponseStarted", true}, {"ResponseComplete", true}, {"Panic", true},
		{"RequestReceived", false}, {"Imagined", false},
	}
	for _, c := range cases {
		t.Run(c.stage, func(t *testing.T) {
			// A secret get that is otherwise a finding; Panic keeps code 200
			// here to show the stage itself is classified.
			body := mustJSON(t, eventWith(map[string]any{"stage": c.stage, "objectRef": objRef("secrets", "shop", "db")}))
			b := parseOK(t, NewParser(nil), body)
			if got := len(b.Findings) == 1; got != c.finding {
				t.Errorf("finding %v; want %v (dropped %v)", got, c.finding, b.Dropped)
			}
			if !c.finding && b.Dropped[DropStage] != 1 {
				t.Errorf("dropped %v; want one %q", b.Dropped, DropStage)
			}
		})
	}
}

func TestBothStagesShareTheKey(t *testing.T) {
	exec := fixtures.Read(t, fxExecPod)
	complete := bytes.Replace(exec, []byte(`"ResponseStarted"`), []byte(`"ResponseComplete"`), 1)
	received := bytes.Replace(exec, []byte(`"ResponseStarted"`), []byte(`"RequestReceived"`), 1)
	b := parseOK(t, NewParser(nil), list(received, exec, complete))
	if len(b.Findings) != 2 || b.Dropped[DropStage] != 1 {
		t.Fatalf("got %d findings, dropped %v; want 2 and one stage", len(b.Findings), b.Dropped)
	}
	if b.Findings[0].DedupKey != b.Findings[1].DedupKey || !b.Findings[0].SingleOccurrence || !b.Findings[1].SingleOccurrence {
		t.Errorf("the stages of one request must share a single-occurrence key: %+v", b.Findings)
	}
}

func TestDetectedAt(t *testing.T) {
	stage, _ := time.Parse(time.RFC3339Nano, testStageTime)
	received, _ := time.Parse(time.RFC3339Nano, testReceiveTime)
	old := time.Date(2018, 10, 26, 13, 9, 27, 0, time.UTC)
	cases := []struct {
		name string
		over map[string]any
		want time.Time
	}{
		{"stage time", nil, stage},
		{"received when no stage time", map[string]any{"stageTimestamp": nil}, received},
		{"received when the stage time is not RFC 3339", map[string]any{"stageTimestamp": "yesterday"}, received},
		{"2018 timestamp", map[string]any{"stageTimestamp": nil, "requestReceivedTimestamp": nil, "timestamp": "2018-10-26T13:09:27Z"}, old},
		{"now when none", map[string]any{"stageTimestamp": "", "requestReceivedTimestamp": nil}, sourcetest.Now},
		{"offset read as UTC", map[string]any{"stageTimestamp": "2026-05-04T05:02:01.123456+02:00"}, stage},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			over := merge(c.over, map[string]any{"objectRef": objRef("secrets", "shop", "db")})
			b := parseOK(t, NewParser(nil), mustJSON(t, eventWith(over)))
			if got := b.Findings[0].DetectedAt; !got.Equal(c.want) || got.Location() != time.UTC {
				t.Errorf("DetectedAt %v; want %v in UTC", got, c.want)
			}
		})
	}
}

func TestResourceRef(t *testing.T) {
	cases := []struct {
		name string
		ref  map[string]any
		want *zenv1.ResourceRef
	}{
		{"core", objRef("configmaps", "shop", "cfg"), &zenv1.ResourceRef{APIVersion: "v1", Kind: "ConfigMap", Name: "cfg", Namespace: "shop"}},
		{"group", map[string]any{"resource": "daemonsets", "namespace": "kube-system", "name": "cilium", "apiGroup": "apps", "apiVersion": "v1"},
			&zenv1.ResourceRef{APIVersion: "apps/v1", Kind: "DaemonSet", Name: "cilium", Namespace: "kube-system"}},
		{"cluster-scoped drops the namespace", map[string]any{"resource": "namespaces", "namespace": "shop", "name": "shop", "apiVersion": "v1"},
			&zenv1.ResourceRef{APIVersion: "v1", Kind: "Namespace", Name: "shop"}},
		{"subresource names the pod", objRef("pods", "shop", "web-0", "", "exec"), &zenv1.ResourceRef{APIVersion: "v1", Kind: "Pod", Name: "web-0", Namespace: "shop"}},
		{"no version", map[string]any{"resource": "secrets", "namespace": "a", "name": "b"}, &zenv1.ResourceRef{Kind: "Secret", Name: "b", Namespace: "a"}},
		{"group without version", map[string]any{"resource": "roles", "namespace": "a", "name": "b", "apiGroup": "rbac.authorization.k8s.io"},
			&zenv1.ResourceRef{Kind: "Role", Name: "b", Namespace: "a"}},
		{"custom resource guessed", map[string]any{"resource": "widgets", "namespace": "a", "name": "w", "apiGroup": "example.com", "apiVersion": "v1alpha1"},
			&zenv1.ResourceRef{APIVersion: "example.com/v1alpha1", Kind: "Widget", Name: "w", Namespace: "a"}},
		{"list has no object", objRef("secrets", "shop", ""), nil},
		{"no resource", map[string]any{"name": "x"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := parseOK(t, NewParser(nil), mustJSON(t, eventWith(merge(denied, map[string]any{"objectRef": c.ref}))))
			if len(b.Findings) != 1 {
				t.Fatalf("got %+v; want a finding", b)
			}
			if got := b.Findings[0].Resource; !reflect.DeepEqual(got, c.want) {
				t.Errorf("resource %+v; want %+v", got, c.want)
			}
		})
	}
}

func TestKindGuesses(t *testing.T) {
	for resource, want := range map[string]string{
		"widgets": "Widget", "policies": "Policy", "gatewayclasses": "Gatewayclass", "boxes": "Box", "patches": "Patch",
		"meshes": "Mesh", "s": "S", "data": "Data", "ies": "Ie", "Foos": "Foo", "pods": "Pod",
	} {
		if got := kindOf(resource).kind; got != want {
			t.Errorf("kindOf(%q) = %q; want %q", resource, got, want)
		}
	}
}

func TestTitle(t *testing.T) {
	cases := []struct {
		name string
		over map[string]any
		want string
	}{
		{"namespaced object", nil, "alice get pods shop/web-0"},
		{"group and subresource", map[string]any{"verb": "create", "objectRef": objRef("deployments", "shop", "web", "apps", "scale")},
			"alice create deployments.apps/scale shop/web"},
		{"cluster-scoped", map[string]any{"objectRef": objRef("namespaces", "", "shop")}, "alice get namespaces shop"},
		{"list in a namespace", map[string]any{"verb": "list", "objectRef": objRef("secrets", "shop", "")}, "alice list secrets in shop"},
		{"non-resource request", map[string]any{"objectRef": nil, "requestURI": "/metrics"}, "alice get /metrics"},
		{"no user", map[string]any{"user": map[string]any{}}, "unknown user get pods shop/web-0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := parseOK(t, NewParser(nil), mustJSON(t, eventWith(merge(denied, c.over))))
			if len(b.Findings) != 1 {
				t.Fatalf("got %+v; want a finding", b)
			}
			if f := b.Findings[0]; f.Title != c.want || f.Rule != "access-denied" {
				t.Errorf("title %q, rule %q; want %q, access-denied", f.Title, f.Rule, c.want)
			}
		})
	}
}
