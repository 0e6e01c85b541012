package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/config"
)

// outputDaemon runs the daemon in-process with zen-watcher's own
// namespace set to own.
func outputDaemon(t *testing.T, own string, resend time.Duration) *daemon {
	t.Helper()
	return startDaemonWith(t, restConfig, func(c *config.Config) {
		c.PodNamespace, c.WatchNamespace = own, own
		c.LeaderElection.Namespace = own
		c.AlertmanagerResendInterval = resend
	})
}

// TestOutputAlertmanager delivers to a real Alertmanager from a tenant's
// output: its findings fire with the documented labels, stay firing past
// resolve_timeout because they are sent again, and resolve; another
// namespace's findings, and those below minSeverity, never arrive.
func TestOutputAlertmanager(t *testing.T) {
	own, tenant, other := newNamespace(t), newNamespace(t), newNamespace(t)
	const resolveTimeout = 6 * time.Second
	am := startAlertmanager(t, resolveTimeout)
	outputDaemon(t, own, 2*time.Second)
	createOutput(t, tenant, "pager", v1alpha1.ZenOutputSpec{
		Alertmanager: &v1alpha1.AlertmanagerOutput{URL: am}, MinSeverity: "HIGH",
	})
	outputReady(t, tenant, "pager", "True")

	storeFinding(t, tenant, "shell", "CRITICAL")
	storeFinding(t, tenant, "minor", "LOW")
	storeFinding(t, other, "elsewhere", "CRITICAL")
	var a amAlert
	eventually(t, "the tenant's finding fires", func() error {
		var ok bool
		if a, ok = activeAlerts(t, am)["shell"]; !ok {
			return fmt.Errorf("no alert for shell in %v", activeAlerts(t, am))
		}
		return nil
	})
	want := map[string]string{"alertname": "ZenWatcherFinding", "severity": "critical", "source": "falco", "namespace": tenant,
		"eventType": "runtime-security", "resource_kind": "Pod", "resource_name": "shell-pod", "rule": "terminal-shell", "finding": "shell"}
	for k, v := range want {
		if a.Labels[k] != v {
			t.Errorf("label %s = %q, want %q (labels %v)", k, a.Labels[k], v, a.Labels)
		}
	}

	// Past resolve_timeout the alert is still active: it was sent again.
	time.Sleep(2 * resolveTimeout)
	alerts := activeAlerts(t, am)
	if _, ok := alerts["shell"]; !ok {
		t.Fatalf("the open finding's alert expired after resolve_timeout: %v", alerts)
	}
	for _, name := range []string{"minor", "elsewhere"} {
		if _, ok := alerts[name]; ok {
			t.Errorf("finding %s reached the tenant's Alertmanager", name)
		}
	}

	resolveFinding(t, tenant, "shell")
	eventually(t, "the resolved finding's alert resolves", func() error {
		if a, ok := activeAlerts(t, am)["shell"]; ok {
			return fmt.Errorf("still active: %+v", a)
		}
		return nil
	})
	eventually(t, "the status counts both deliveries", func() error {
		st := outputStatus(t, tenant, "pager")
		c := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionDelivering)
		if st.Delivered < 2 || st.Type != "alertmanager" || st.Progress == nil || c == nil || c.Status != "True" {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})
}

// TestOutputIsolationAndRetries runs three outputs side by side: one
// whose receiver never answers, one whose receiver fails with 500 for 20
// seconds, one healthy. The healthy one delivers while the others wait,
// the failing one delivers once its receiver recovers, with retries
// counted, and the hung one shows why it is behind.
func TestOutputIsolationAndRetries(t *testing.T) {
	own := newNamespace(t)
	d := outputDaemon(t, own, 4*time.Minute)
	hung, flaky, healthy := newReceiver(t), newReceiver(t), newReceiver(t)
	hung.hang.Store(true)
	flaky.status.Store(500)
	for name, r := range map[string]*receiver{"hung": hung, "flaky": flaky, "healthy": healthy} {
		createOutput(t, own, name, v1alpha1.ZenOutputSpec{Alertmanager: &v1alpha1.AlertmanagerOutput{URL: r.srv.URL}})
		outputReady(t, own, name, "True")
	}
	names := findingNames("f", 20)
	for _, n := range names {
		storeFinding(t, own, n, "HIGH")
	}
	eventually(t, "the healthy output delivers beside a hung and a failing one", healthy.hasAll(names))
	if got := flaky.received(); len(got) > 0 {
		t.Fatalf("the failing receiver accepted %v", got)
	}
	failingSince := time.Now()
	eventually(t, "the failing output retries and says why", func() error {
		st := outputStatus(t, own, "flaky")
		if counterValue(t, d.registry, "zen_watcher_output_retries_total") < 2 || !strings.Contains(st.LastError, "500") {
			return fmt.Errorf("retries %v, lastError %q", counterValue(t, d.registry, "zen_watcher_output_retries_total"), st.LastError)
		}
		return nil
	})
	time.Sleep(20*time.Second - time.Since(failingSince))
	flaky.status.Store(0)
	eventually(t, "the failing output delivers once its receiver recovers", flaky.hasAll(names))
	eventually(t, "the hung output reports its backlog and error", func() error {
		st := outputStatus(t, own, "hung")
		if st.Backlog == 0 || st.LastError == "" {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})
	if got := hung.received(); len(got) > 0 {
		t.Errorf("the hung receiver recorded %v", got)
	}
	delivered := counterValue(t, d.registry, "zen_watcher_output_delivered_total")
	writes := counterValue(t, d.registry, "zen_watcher_output_status_writes_total")
	t.Logf("3 outputs: %v findings delivered, %v status writes", delivered, writes)
}

// TestOutputWritesPerDeliveredFinding measures what at-least-once costs
// the API server: status writes (watermark, counters) per finding
// delivered, in a burst of 200 findings to one output. The writes are
// coalesced every 2 seconds, so they do not grow with the findings.
func TestOutputWritesPerDeliveredFinding(t *testing.T) {
	own := newNamespace(t)
	d := outputDaemon(t, own, 4*time.Minute)
	rcv := newReceiver(t)
	createOutput(t, own, "burst", v1alpha1.ZenOutputSpec{Alertmanager: &v1alpha1.AlertmanagerOutput{URL: rcv.srv.URL}})
	outputReady(t, own, "burst", "True")
	writesBefore := counterValue(t, d.registry, "zen_watcher_output_status_writes_total")
	names := findingNames("burst", 200)
	for _, n := range names {
		storeFinding(t, own, n, "HIGH")
	}
	eventually(t, "the burst delivered", rcv.hasAll(names))
	eventually(t, "the status caught up", func() error {
		if st := outputStatus(t, own, "burst"); st.Delivered != int64(len(names)) || st.Backlog != 0 {
			return fmt.Errorf("delivered %d, backlog %d", st.Delivered, st.Backlog)
		}
		return nil
	})
	writes := counterValue(t, d.registry, "zen_watcher_output_status_writes_total") - writesBefore
	t.Logf("%d findings delivered with %v status writes: %.3f writes per finding", len(names), writes, writes/float64(len(names)))
	if writes >= float64(len(names)) {
		t.Fatalf("%v status writes for %d findings: progress is not batched", writes, len(names))
	}
}
