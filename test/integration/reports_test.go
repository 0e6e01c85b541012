package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/source/kyverno"
	"github.com/kube-zen/zen-watcher/internal/tools"
)

// eventsOf lists every event the pipeline stored for a source, in all
// namespaces, by dedup key. (Other tests create events by hand, without the
// key label.)
func eventsOf(t *testing.T, source string) map[string]zenv1.ZenAgentEvent {
	t.Helper()
	var list zenv1.ZenAgentEventList
	if err := k8sClient.List(context.Background(), &list, client.MatchingLabels{zenv1.LabelSource: source}, client.HasLabels{zenv1.LabelKeyHash}); err != nil {
		t.Fatal(err)
	}
	out := map[string]zenv1.ZenAgentEvent{}
	for _, e := range list.Items {
		out[e.Spec.DedupKey] = e
	}
	return out
}

func toolStatus(s interface{ Statuses() []tools.Status }, name string) tools.Status {
	for _, st := range s.Statuses() {
		if st.Tool == name {
			return st
		}
	}
	return tools.Status{}
}

// The Trivy and Kyverno fixtures, as one cluster would hold them. Their
// dedup keys are cluster-wide, so only this test applies them.
func TestReportSourcesOnFixtures(t *testing.T) {
	_, sources := startSources(t, func(*config.Config) {})
	if st := toolStatus(sources.Detector, "trivy"); len(st.CRDsServed) != 0 || st.Active {
		t.Fatalf("before its CRDs exist, trivy should be absent: %+v", st)
	}

	// Installed after start: picked up within one WATCH_INTERVAL (1s here).
	installReportCRDs(t)
	eventually(t, "report informers started", func() error {
		st := toolStatus(sources.Detector, "trivy")
		if st.State != tools.StateReportsOnly || !strings.Contains(strings.Join(st.CRDsServed, ","), "vulnerabilityreports") {
			return fmt.Errorf("trivy status %+v", st)
		}
		return nil
	})
	eventually(t, "sources synced", func() error {
		if !sources.HasSynced() {
			return fmt.Errorf("not yet")
		}
		return nil
	})

	ensureNamespace(t, "staging-ns")
	chainsawNS := newNamespace(t)
	var nginx *unstructured.Unstructured
	for _, rel := range []string{
		"trivy/vulnerabilityreport_nginx_docs.yaml", "trivy/vulnerabilityreport_coredns_envtest.yaml",
		"trivy/configauditreport_coredns_envtest.yaml", "trivy/configauditreport_pod_envtest_expected.yaml",
		"kyverno/clusterpolicyreport_cli_merged_docs.yaml", "kyverno/clusterpolicyreport_namespaces_chainsaw.yaml",
		"kyverno/policyreport_list_vap_docs.yaml", "kyverno/policyreport_pod_pass_fail_docs.yaml", "kyverno/policyreport_warn_chainsaw.yaml",
	} {
		for _, u := range fixtureObjects(t, rel) {
			if u.GetKind() == "PolicyReport" && u.GetNamespace() == "" {
				u.SetNamespace(chainsawNS) // chainsaw runs it in a namespace of its own
			}
			if u.GetName() == "replicaset-nginx-6d4cf56db6-nginx" {
				nginx = u.DeepCopy()
			}
			applyReport(t, u)
		}
	}

	// HIGH and above: nginx 2 CRITICAL, coredns 1 HIGH, the pod audit 1
	// HIGH; the coredns audit holds only a LOW. Kyverno fails: 1 + 4 + 1 + 1.
	eventually(t, "4 trivy and 7 kyverno events", func() error {
		if tv, ky := len(eventsOf(t, "trivy")), len(eventsOf(t, "kyverno")); tv != 4 || ky != 7 {
			return fmt.Errorf("%d trivy, %d kyverno", tv, ky)
		}
		return nil
	})
	trivyEvents := eventsOf(t, "trivy")
	var cve zenv1.ZenAgentEvent
	for key, e := range trivyEvents {
		if strings.HasPrefix(key, "default/ReplicaSet/nginx-6d4cf56db6/") {
			cve = e
		}
	}
	var d map[string]any
	if cve.Spec.Details == nil || json.Unmarshal(cve.Spec.Details.Raw, &d) != nil {
		t.Fatalf("no nginx event: %v", trivyEvents)
	}
	if cve.Namespace != "default" || cve.Spec.Severity != zenv1.SeverityCritical || cve.Spec.Category != zenv1.CategorySecurity ||
		cve.Spec.EventType != "vulnerability" || cve.Spec.Resource.Kind != "ReplicaSet" || cve.Spec.Resource.Name != "nginx-6d4cf56db6" ||
		d["vulnerabilityID"] == nil || d["installedVersion"] == nil || d["image"] == "" {
		t.Errorf("nginx event: %s %+v %v", cve.Namespace, cve.Spec, d)
	}
	for key, e := range eventsOf(t, "kyverno") {
		if e.Spec.EventType != "policy-violation" || e.Spec.Category != zenv1.CategorySecurity || !strings.Contains(key, "/") {
			t.Errorf("kyverno event %s: %+v", key, e.Spec)
		}
	}

	// A second daemon's worth of sources (a restart, or a resync of every
	// report) stores nothing new.
	again, _ := startSources(t, func(*config.Config) {})
	again.stop()
	if n := counterValue(t, again.Registry, "zen_watcher_events_total"); n != 0 {
		t.Errorf("a restart created %v events", n)
	}
	if tv, ky := len(eventsOf(t, "trivy")), len(eventsOf(t, "kyverno")); tv != 4 || ky != 7 {
		t.Errorf("after a restart: %d trivy, %d kyverno", tv, ky)
	}

	// Fixed: one of nginx's two CRITICAL CVEs is gone from the new report.
	vulns, _, _ := unstructured.NestedSlice(nginx.Object, "report", "vulnerabilities")
	gone := vulns[1].(map[string]any)["vulnerabilityID"].(string)
	_ = unstructured.SetNestedSlice(nginx.Object, vulns[:1], "report", "vulnerabilities")
	applyReport(t, nginx)
	eventually(t, "the fixed CVE resolved", func() error {
		for key, e := range eventsOf(t, "trivy") {
			resolved := e.Status.State == zenv1.StateResolved
			if strings.HasSuffix(key, "/"+gone) != resolved {
				return fmt.Errorf("%s state %s", key, e.Status.State)
			}
		}
		return nil
	})
	// Deleted: every event of the report resolves.
	pod := fixtureObjects(t, "kyverno/policyreport_pod_pass_fail_docs.yaml")[0]
	deleteReport(t, pod)
	eventually(t, "the deleted report's event resolved", func() error {
		for key, e := range eventsOf(t, "kyverno") {
			if strings.HasPrefix(key, "kube-system/Pod/kube-apiserver-kind-control-plane/") && e.Status.State != zenv1.StateResolved {
				return fmt.Errorf("%s still %s", key, e.Status.State)
			}
		}
		return nil
	})
}

// policyReport is a small PolicyReport with one failed result.
func policyReport(ns, name, policy string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "PolicyReport",
		"metadata": map[string]any{"namespace": ns, "name": name},
		"scope":    map[string]any{"apiVersion": "v1", "kind": "Pod", "name": "app", "namespace": ns},
		"results": []any{map[string]any{"policy": policy, "rule": "check", "result": "fail", "severity": "high",
			"message": "validation failed", "source": "kyverno", "timestamp": map[string]any{"seconds": int64(1764000000), "nanos": int64(0)}}},
	}}
}

func TestWatchNamespaceKeepsOtherNamespacesOut(t *testing.T) {
	installReportCRDs(t)
	inside, outside := newNamespace(t), newNamespace(t)
	startSources(t, func(c *config.Config) { c.WatchNamespace = inside })
	applyReport(t, policyReport(inside, "in", "policy-"+inside))
	applyReport(t, policyReport(outside, "out", "policy-"+outside))
	eventually(t, "the inside report's event", func() error {
		if len(listEvents(t, inside)) != 1 {
			return fmt.Errorf("%d events inside", len(listEvents(t, inside)))
		}
		return nil
	})
	time.Sleep(2 * time.Second) // two watch intervals: had it been watched, it would be there
	if evs := listEvents(t, outside); len(evs) != 0 {
		t.Errorf("WATCH_NAMESPACE let %d events in from %s", len(evs), outside)
	}
}

func TestRemovedCRDStopsItsInformer(t *testing.T) {
	installReportCRDs(t)
	_, sources := startSources(t, func(*config.Config) {})
	crd := &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: kyverno.ClusterPolicyReports.GroupResource().String()}}
	eventually(t, "watching clusterpolicyreports", func() error {
		if !strings.Contains(strings.Join(toolStatus(sources.Detector, "kyverno").CRDsServed, ","), "clusterpolicyreports") {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	if err := k8sClient.Delete(context.Background(), crd); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { installReportCRDs(t) })
	eventually(t, "informer stopped", func() error {
		st := toolStatus(sources.Detector, "kyverno")
		if strings.Contains(strings.Join(st.CRDsServed, ","), "clusterpolicyreports") {
			return fmt.Errorf("still served: %+v", st)
		}
		return nil
	})
	if !sources.HasSynced() {
		t.Error("the remaining informers should stay synced")
	}
}
