package integration

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/webhook"
)

var metricName = regexp.MustCompile(`zen_watcher_[a-z_]+[a-z]`)

// declaredMetrics are the zen_watcher_ names written as string literals in
// the daemon's code: every metric is declared that way.
func declaredMetrics(t *testing.T) []string {
	t.Helper()
	literal := regexp.MustCompile(`"(zen_watcher_[a-z_]+)"`)
	set := map[string]bool{}
	for _, dir := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(repoRoot(), dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			b, err := os.ReadFile(path)
			for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
				set[m[1]] = true
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return sortedKeys(set)
}

// documentedMetrics are the names in the README's metrics table.
func documentedMetrics(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := string(b)[strings.Index(string(b), "## Metrics"):]
	section = section[:strings.Index(section[3:], "\n## ")+3]
	set := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "| `zen_watcher_") {
			set[metricName.FindString(line)] = true
		}
	}
	return sortedKeys(set)
}

func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestEveryMetricIsDocumented(t *testing.T) {
	declared, documented := declaredMetrics(t), documentedMetrics(t)
	if !slices.Equal(declared, documented) {
		t.Errorf("declared in code and documented in README differ:\n code:   %v\n README: %v", declared, documented)
	}
}

// TestEveryMetricIsEmitted drives the daemon through each path that writes
// a metric, then checks /metrics shows every declared family.
func TestEveryMetricIsEmitted(t *testing.T) {
	home := newNamespace(t)
	// A namespace that does not exist as EVENT_NAMESPACE makes host-level
	// findings fail for good: the dead-letter path.
	gone := fmt.Sprintf("gone-%d", time.Now().UnixNano())
	// The token from a file: the file reload counters are there for it.
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(webhookToken), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemonWith(t, restConfig, func(c *config.Config) {
		c.EventNamespace = gone
		c.BehaviorMode = config.BehaviorConservative
		c.FlushInterval = 100 * time.Millisecond
		c.DLQSize = 1
		c.GCInterval = time.Second
		c.EventTTL = 240 * time.Hour
		c.ToolNamespaces.KubeBench = home
		c.Webhooks.TokenFile = tokenFile
		c.Webhooks.HMACSecret = "metrics-hmac-key"                   // registers the nonce gauge; the token still passes
		c.Webhooks.RateLimitRPS, c.Webhooks.RateLimitBurst = 0.01, 5 // the sixth webhook request below is refused
	})
	// One readable and one unreadable kube-bench result.
	putConfigMap(t, home, "unreadable", benchLabels, nil, map[string]string{"results.json": "{"})
	putConfigMap(t, home, "readable", benchLabels, map[string]string{"zen.kube-zen.io/node": home},
		map[string]string{"results.json": fixture(t, "kube-bench/full_run_cis-1.6_wg-policy-sample.json")})
	d.waitReady(t, 200)

	// An output delivering the findings below, for the zen_watcher_output_ series.
	rcv := newReceiver(t)
	createOutput(t, home, "metrics", v1alpha1.ZenOutputSpec{Alertmanager: &v1alpha1.AlertmanagerOutput{URL: rcv.srv.URL}})
	outputReady(t, home, "metrics", "True")

	// An event stored without the key label: invisible to the index, so the
	// daemon's create meets AlreadyExists.
	pre := synthetic(home, 1, time.Now())
	pre.Severity = zenv1.SeverityHigh
	raw := validEvent(finding.ObjectName(pre.Source, pre.DedupKey, 0))
	raw["metadata"].(map[string]any)["namespace"] = home
	spec := raw["spec"].(map[string]any)
	spec["source"], spec["dedupKey"] = pre.Source, pre.DedupKey
	// An expired one for retention.
	old := validEvent("expired-" + fmt.Sprint(time.Now().UnixNano()))
	old["metadata"].(map[string]any)["namespace"] = home
	old["spec"].(map[string]any)["detectedAt"] = time.Now().Add(-1000 * time.Hour).UTC().Format(time.RFC3339)
	dc := dynamic.NewForConfigOrDie(restConfig)
	for _, obj := range []map[string]any{raw, old} {
		if _, err := dc.Resource(zaeGVR).Namespace(home).Create(context.Background(), &unstructured.Unstructured{Object: obj}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	long := synthetic(home, 2, time.Now())
	long.Severity = zenv1.SeverityCritical
	long.Details = map[string]any{"output": strings.Repeat("x", 5000)}
	low := synthetic(home, 3, time.Now())
	low.Severity = zenv1.SeverityLow
	noKey := synthetic(home, 4, time.Now())
	noKey.DedupKey = ""
	moved := synthetic("no-such-namespace", 5, time.Now())
	moved.Severity = zenv1.SeverityHigh
	var hostLevel []finding.Finding
	for i := range 2 {
		h := synthetic("", 10+i, time.Now())
		h.Severity, h.Resource = zenv1.SeverityHigh, nil
		hostLevel = append(hostLevel, h)
	}
	batch := append([]finding.Finding{pre, long, long, long, low, noKey, moved}, hostLevel...)
	if err := d.events.Pipeline.Submit(context.Background(), batch...); err != nil {
		t.Fatal(err)
	}

	// A webhook request refused by authentication, and an alert dropped.
	d.post(t, "/falco/webhook", "wrong", []byte(`{}`))
	d.post(t, "/falco/webhook", webhookToken, readFixture(t, "falco/internal_metrics_snapshot.json"))
	for range 2 { // a retry answered from the idempotency cache
		d.postWith(t, "/falco/webhook", webhookToken, readFixture(t, "falco/internal_metrics_snapshot.json"), webhook.HeaderRequestID, "metrics-retry")
	}
	d.post(t, "/falco/webhook", webhookToken, []byte(`{}`)) // no rule, no priority: a schema rejection
	d.post(t, "/falco/webhook", webhookToken, []byte(`{}`)) // rate limited

	// Retries need a failure that passes; the outage test covers them.
	exempt := map[string]string{"zen_watcher_api_write_retries_total": "TestWritesSurviveAPIServerOutage",
		"zen_watcher_zensource_ready": "TestZenSourceWebhooks", "zen_watcher_zensource_requests_total": "TestZenSourceWebhooks",
		"zen_watcher_zensource_items_total": "TestZenSourceWebhooks"}
	eventually(t, "every metric emitted", func() error {
		_, body := d.get(t, "/metrics")
		var missing []string
		for _, name := range declaredMetrics(t) {
			if _, ok := exempt[name]; !ok && !strings.Contains(body, "\n"+name) {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("not emitted: %v", missing)
		}
		return nil
	})
}
