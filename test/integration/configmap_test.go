package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/test/fixtures"
)

// configMapRig runs the pipeline and the ConfigMap sources, as the daemon
// wires them, with each tool in a namespace of its own.
type configMapRig struct {
	*running
	bench, checkov, events string // namespaces
}

func startConfigMapSources(t *testing.T, tune func(*config.Config)) *configMapRig {
	t.Helper()
	rig := &configMapRig{bench: newNamespace(t), checkov: newNamespace(t)}
	rig.running, _ = startSources(t, func(c *config.Config) {
		c.ToolNamespaces.KubeBench, c.ToolNamespaces.Checkov = rig.bench, rig.checkov
		rig.events = c.EventNamespace
		tune(c)
	})
	return rig
}

func fixture(t *testing.T, rel string) string {
	t.Helper()
	b, err := fixtures.Read(rel)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func putConfigMap(t *testing.T, ns, name string, labels, annotations map[string]string, data map[string]string) {
	t.Helper()
	ctx := context.Background()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels, Annotations: annotations}, Data: data}
	var cur corev1.ConfigMap
	if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(cm), &cur); err == nil {
		cur.Data, cur.BinaryData, cur.Labels, cur.Annotations = data, nil, labels, annotations
		if err := k8sClient.Update(ctx, &cur); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := k8sClient.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
}

func bySource(t *testing.T, ns, source string) []zenv1.ZenAgentEvent {
	var out []zenv1.ZenAgentEvent
	for _, e := range listEvents(t, ns) {
		if e.Spec.Source == source {
			out = append(out, e)
		}
	}
	return out
}

func countIs(t *testing.T, ns, source string, want int) func() error {
	return func() error {
		if got := len(bySource(t, ns, source)); got != want {
			return fmt.Errorf("%d %s events in %s, want %d", got, source, ns, want)
		}
		return nil
	}
}

var benchLabels = map[string]string{"app": "kube-bench"}

func TestKubeBenchFullRunGivesOneEventPerFail(t *testing.T) {
	rig := startConfigMapSources(t, func(*config.Config) {})
	node := rig.events + "-a" // dedup keys are cluster-wide: no test shares a node
	putConfigMap(t, rig.bench, "node-a", benchLabels, map[string]string{"zen.kube-zen.io/node": node},
		map[string]string{"results.json": fixture(t, "kube-bench/full_run_cis-1.6_wg-policy-sample.json")})
	eventually(t, "36 kube-bench events", countIs(t, rig.events, "kube-bench", 36))

	var e zenv1.ZenAgentEvent
	for _, ev := range bySource(t, rig.events, "kube-bench") {
		if strings.HasSuffix(ev.Spec.DedupKey, "/1.1.12") {
			e = ev
		}
	}
	var d map[string]any
	if e.Spec.Details == nil || json.Unmarshal(e.Spec.Details.Raw, &d) != nil {
		t.Fatalf("no event for check 1.1.12")
	}
	if e.Spec.Category != zenv1.CategoryCompliance || e.Spec.EventType != "cis-benchmark-fail" || e.Spec.DedupKey != node+"/1.6/1.1.12" ||
		e.Spec.Resource == nil || e.Spec.Resource.Kind != "Node" || e.Spec.Resource.Name != node || d["test_number"] != "1.1.12" ||
		d["benchmark_version"] != "1.6" || d["node_type"] != "master" {
		t.Errorf("event for 1.1.12 wrong: %+v details %v", e.Spec, d)
	}
	wantSeverity := zenv1.SeverityMedium
	if d["scored"] == true {
		wantSeverity = zenv1.SeverityHigh
	}
	if e.Spec.Severity != wantSeverity {
		t.Errorf("severity %s, want %s for scored=%v", e.Spec.Severity, wantSeverity, d["scored"])
	}
}

func TestKubeBenchTwoNodesAndAFixedCheck(t *testing.T) {
	rig := startConfigMapSources(t, func(*config.Config) {})
	full := fixture(t, "kube-bench/full_run_cis-1.6_wg-policy-sample.json")
	nodeA, nodeB := rig.events+"-a", rig.events+"-b"
	putConfigMap(t, rig.bench, "run-a", benchLabels, map[string]string{"zen.kube-zen.io/node": nodeA}, map[string]string{"results.json": full})
	putConfigMap(t, rig.bench, "run-b", map[string]string{"app": "kube-bench", "kubernetes.io/hostname": nodeB}, nil, map[string]string{"results.json": full})
	eventually(t, "36 events per node", countIs(t, rig.events, "kube-bench", 72))

	// Re-run on node-a with check 1.1.12 fixed.
	var report map[string]any
	if err := json.Unmarshal([]byte(full), &report); err != nil {
		t.Fatal(err)
	}
	fixed := 0
	for _, c := range report["Controls"].([]any) {
		for _, tst := range c.(map[string]any)["tests"].([]any) {
			for _, r := range tst.(map[string]any)["results"].([]any) {
				if r := r.(map[string]any); r["test_number"] == "1.1.12" && r["status"] == "FAIL" {
					r["status"] = "PASS"
					fixed++
				}
			}
		}
	}
	if fixed != 1 {
		t.Fatalf("fixture changed: %d results for 1.1.12", fixed)
	}
	rerun, _ := json.Marshal(report)
	putConfigMap(t, rig.bench, "run-a", benchLabels, map[string]string{"zen.kube-zen.io/node": nodeA}, map[string]string{"results.json": string(rerun)})
	eventually(t, "the fixed check resolved on node-a only", func() error {
		var resolved []string
		for _, e := range bySource(t, rig.events, "kube-bench") {
			if e.Status.State == zenv1.StateResolved {
				resolved = append(resolved, e.Spec.DedupKey)
			}
		}
		if len(resolved) != 1 || resolved[0] != nodeA+"/1.6/1.1.12" {
			return fmt.Errorf("resolved: %v", resolved)
		}
		return nil
	})
}

func TestKubeBenchOtherShapesAndWarn(t *testing.T) {
	rig := startConfigMapSources(t, func(c *config.Config) { c.KubeBenchResults = []string{"FAIL", "WARN"} })
	bare, totals := rig.events+"-bare", rig.events+"-totals" // unique nodes: dedup keys are cluster-wide
	putConfigMap(t, rig.bench, bare, benchLabels, nil, map[string]string{"no-totals.json": fixture(t, "kube-bench/result_no_totals.json")})
	putConfigMap(t, rig.bench, totals, benchLabels, nil, map[string]string{"results.json": fixture(t, "kube-bench/result_with_totals.json")})
	// Each sample holds one WARN and no FAIL; the nodes are the ConfigMaps' names.
	eventually(t, "one WARN event per sample", countIs(t, rig.events, "kube-bench", 2))
	for _, e := range bySource(t, rig.events, "kube-bench") {
		if e.Spec.Resource.Name != bare && e.Spec.Resource.Name != totals {
			t.Errorf("node should fall back to the ConfigMap name: %+v", e.Spec.Resource)
		}
	}
}

func TestCheckovFixtures(t *testing.T) {
	rig := startConfigMapSources(t, func(*config.Config) {})
	// The findings' namespace exists before they are written: a write into
	// a missing namespace is retried and can reach the DLQ on a slow machine.
	ensureNamespace(t, "shop")
	labels := map[string]string{"app": "checkov"}
	putConfigMap(t, rig.checkov, "single", labels, nil, map[string]string{"results.json": fixture(t, "checkov/kubernetes_single_framework.json")})
	putConfigMap(t, rig.checkov, "multi", labels, nil, map[string]string{"results.json": fixture(t, "checkov/multi_framework_list.json")})
	putConfigMap(t, rig.checkov, "unlabelled", nil, nil, map[string]string{"results.json": fixture(t, "checkov/multi_framework_list.json")})
	eventually(t, "checkov events where their resources live", func() error {
		shop, def, kubeSystem := bySource(t, "shop", "checkov"), bySource(t, "default", "checkov"), bySource(t, "kube-system", "checkov")
		if len(shop) != 2 || len(kubeSystem) != 1 || !hasKey(def, "CKV_K8S_16/Pod.default.debug") || dockerfileEvent(t) == nil {
			return fmt.Errorf("shop %d, kube-system %d, default has the debug pod: %v, Dockerfile event: %v", len(shop), len(kubeSystem),
				hasKey(def, "CKV_K8S_16/Pod.default.debug"), dockerfileEvent(t) != nil)
		}
		return nil
	})
	for _, e := range bySource(t, "shop", "checkov") {
		want := map[string]zenv1.Severity{"CKV_K8S_20/Deployment.shop.web": zenv1.SeverityHigh, "CKV_K8S_43/Deployment.shop.web": zenv1.SeverityLow}[e.Spec.DedupKey]
		if e.Spec.Severity != want || e.Spec.Resource.Kind != "Deployment" || e.Spec.Resource.Name != "web" || e.Spec.EventType != "static-analysis" {
			t.Errorf("%s: %+v", e.Spec.DedupKey, e.Spec)
		}
	}
	// A file-path finding has no resource, so it lives in EVENT_NAMESPACE
	// (of the test that stored it first: keys are cluster-wide).
	if e := dockerfileEvent(t); e.Spec.Resource != nil || !strings.HasPrefix(e.Namespace, "zen-test-") {
		t.Errorf("Dockerfile finding: %s %+v", e.Namespace, e.Spec.Resource)
	}
}

func dockerfileEvent(t *testing.T) *zenv1.ZenAgentEvent {
	var list zenv1.ZenAgentEventList
	if err := k8sClient.List(context.Background(), &list, client.MatchingLabels{zenv1.LabelSource: "checkov"}); err != nil {
		t.Fatal(err)
	}
	for i := range list.Items {
		if list.Items[i].Spec.DedupKey == "CKV_DOCKER_3//Dockerfile." {
			return &list.Items[i]
		}
	}
	return nil
}

func hasKey(evs []zenv1.ZenAgentEvent, key string) bool {
	for _, e := range evs {
		if e.Spec.DedupKey == key {
			return true
		}
	}
	return false
}

func ensureNamespace(t *testing.T, name string) {
	t.Helper()
	err := k8sClient.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	if err != nil && !strings.Contains(err.Error(), "already exists") {
		t.Fatal(err)
	}
}

func TestConfigMapBadInput(t *testing.T) {
	rig := startConfigMapSources(t, func(*config.Config) {})
	cases := map[string]string{
		"invalid":   `{"Controls": [`,
		"truncated": fixture(t, "kube-bench/full_run_cis-1.6_wg-policy-sample.json")[:5000],
		"shape":     `"just a string"`,
		"types":     `{"Controls": "none", "Totals": 3}`,
		"huge":      `{"Controls": [], "padding": "` + strings.Repeat("x", 1000*1000) + `"}`,
	}
	for name, data := range cases {
		putConfigMap(t, rig.bench, "bad-"+name, benchLabels, nil, map[string]string{"results.json": data})
	}
	putConfigMap(t, rig.bench, "nothing", benchLabels, nil, map[string]string{"notes.txt": "no json here"})
	putConfigMap(t, rig.bench, "good", benchLabels, map[string]string{"zen.kube-zen.io/node": rig.events + "-good"},
		map[string]string{"results.json": fixture(t, "kube-bench/full_run_cis-1.6_wg-policy-sample.json")})
	eventually(t, "the good ConfigMap still flows", countIs(t, rig.events, "kube-bench", 36))

	eventually(t, "a Warning Event on each bad ConfigMap", func() error {
		var list eventsv1.EventList
		if err := k8sClient.List(context.Background(), &list, client.InNamespace(rig.bench)); err != nil {
			return err
		}
		warned := map[string]bool{}
		for _, e := range list.Items {
			if e.Type == corev1.EventTypeWarning && e.Reason == "UnreadableResults" {
				warned[e.Regarding.Name] = true
			}
		}
		for _, name := range []string{"bad-invalid", "bad-truncated", "bad-shape", "bad-types", "nothing"} {
			if !warned[name] {
				return fmt.Errorf("no warning on %s (warned: %v)", name, warned)
			}
		}
		return nil
	})
	reasons := map[string]float64{}
	mfs, _ := rig.Registry.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "zen_watcher_source_errors_total" {
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "reason" {
						reasons[l.GetValue()] += m.GetCounter().GetValue()
					}
				}
			}
		}
	}
	if reasons["invalid-json"] != 2 || reasons["unknown-shape"] != 1 || reasons["wrong-type"] != 1 || reasons["no-payload"] != 1 {
		t.Errorf("source errors by reason: %v", reasons)
	}

	// Fixed in place, a bad ConfigMap is read again.
	putConfigMap(t, rig.bench, "bad-shape", benchLabels, map[string]string{"zen.kube-zen.io/node": rig.events + "-repaired"},
		map[string]string{"results.json": fixture(t, "kube-bench/full_run_cis-1.6_wg-policy-sample.json")})
	eventually(t, "the repaired ConfigMap is read", countIs(t, rig.events, "kube-bench", 72))
}
