package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/config"
)

// pluginEvents are the seeded findings the get, summary and describe tests
// read: every filter keeps a different subset.
var pluginEvents = []seeded{
	{name: "ev-trivy", source: "trivy", rule: "CVE-2021-3121", title: "gogo/protobuf: lacks index validation", severity: zenv1.SeverityHigh,
		resource: &zenv1.ResourceRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}, count: 3, ago: 10 * time.Minute},
	{name: "ev-kyverno", source: "kyverno", rule: "disallow-host/host-ns", title: "host namespaces are disallowed", severity: zenv1.SeverityCritical,
		resource: &zenv1.ResourceRef{APIVersion: "v1", Kind: "Pod", Name: "db"}, count: 1, ago: 5 * time.Hour},
	{name: "ev-bench", source: "kube-bench", rule: "1.1.1", title: "API server pod file permissions", severity: zenv1.SeverityMedium,
		resource: &zenv1.ResourceRef{APIVersion: "v1", Kind: "Node", Name: "node-a"}, count: 7, ago: time.Minute, resolved: true},
	{name: "ev-falco", source: "falco", rule: "Terminal shell in container", title: "Terminal shell in container", severity: zenv1.SeverityLow,
		count: 2, ago: 30 * time.Minute},
}

func TestPluginGetFilters(t *testing.T) {
	ns := seedEvents(t, pluginEvents)
	for _, c := range []struct {
		args []string
		want string // names in output order
	}{
		{nil, "ev-bench ev-falco ev-kyverno ev-trivy"},
		{[]string{"--source", "trivy"}, "ev-trivy"},
		{[]string{"--source", "trivy,falco"}, "ev-falco ev-trivy"},
		{[]string{"--severity", "critical,HIGH"}, "ev-kyverno ev-trivy"},
		{[]string{"--min-severity", "MEDIUM", "--sort-by", "severity"}, "ev-kyverno ev-trivy ev-bench"},
		{[]string{"--state", "Resolved"}, "ev-bench"},
		{[]string{"--state", "open", "--sort-by", "lastSeen"}, "ev-trivy ev-falco ev-kyverno"},
		{[]string{"--since", "1h"}, "ev-bench ev-falco ev-trivy"},
		{[]string{"--resource", "deployment/web"}, "ev-trivy"},
		{[]string{"--resource", "db"}, "ev-kyverno"},
		{[]string{"--rule", "disallow-host/host-ns"}, "ev-kyverno"},
		{[]string{"--rule", "CVE-2021-3121"}, "ev-trivy"},
		{[]string{"-l", "rule=1.1.1"}, "ev-bench"},
		{[]string{"--sort-by", "count"}, "ev-bench ev-trivy ev-falco ev-kyverno"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			out := mustZen(t, append([]string{"get", "-n", ns, "-o", "name"}, c.args...)...)
			got := strings.Join(strings.Fields(strings.ReplaceAll(out, "zenagentevent.zen.kube-zen.io/", "")), " ")
			if got != c.want {
				t.Errorf("got %q; want %q", got, c.want)
			}
		})
	}
	if r := zen(t, "", "get", "-n", ns, "--min-severity", "SEVERE"); r.code == 0 || !strings.Contains(r.err, "unknown severity") {
		t.Errorf("a bad severity must fail clearly: %d %s", r.code, r.err)
	}
}

func TestPluginGetOutputs(t *testing.T) {
	ns := seedEvents(t, pluginEvents)
	table := mustZen(t, "get", "-n", ns, "--sort-by", "severity")
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 5 || strings.Join(strings.Fields(lines[0]), " ") != "NAME SOURCE SEVERITY TYPE RULE RESOURCE COUNT STATE LAST-SEEN" {
		t.Fatalf("table:\n%s", table)
	}
	if !strings.HasPrefix(lines[1], "ev-kyverno") || !strings.Contains(lines[2], "CVE-2021-3121") {
		t.Errorf("rows not by severity or without the rule:\n%s", table)
	}
	// kubectl's alignment: every row's RULE cell starts in the header's column.
	col := strings.Index(lines[0], "RULE")
	for _, l := range lines[1:] {
		if l[col-1] != ' ' || l[col] == ' ' {
			t.Errorf("column RULE not aligned at %d:\n%s", col, table)
		}
	}
	wide := mustZen(t, "get", "-n", ns, "-o", "wide", "--no-headers")
	if strings.Contains(wide, "NAME") || !strings.Contains(wide, "gogo/protobuf: lacks index validation") || !strings.Contains(wide, "Deployment") {
		t.Errorf("-o wide --no-headers:\n%s", wide)
	}
	all := mustZen(t, "get", "-A", "--source", "kube-bench", "--rule", "1.1.1")
	if !strings.HasPrefix(all, "NAMESPACE") || !strings.Contains(all, ns) {
		t.Errorf("-A has a NAMESPACE column:\n%s", all)
	}

	var list struct {
		Kind  string                `json:"kind"`
		Items []zenv1.ZenAgentEvent `json:"items"`
	}
	if err := json.Unmarshal([]byte(mustZen(t, "get", "-n", ns, "-o", "json", "--source", "trivy")), &list); err != nil {
		t.Fatal(err)
	}
	if list.Kind != "List" || len(list.Items) != 1 || list.Items[0].Spec.Title != "gogo/protobuf: lacks index validation" {
		t.Errorf("-o json: %+v", list)
	}
	if y := mustZen(t, "get", "-n", ns, "ev-bench", "-o", "yaml"); !strings.Contains(y, "kind: ZenAgentEvent") || !strings.Contains(y, "rule: 1.1.1") {
		t.Errorf("-o yaml of one:\n%s", y)
	}
	if jp := mustZen(t, "get", "-n", ns, "--sort-by", "count", "-o", "jsonpath={.items[*].spec.rule}"); jp != "1.1.1 CVE-2021-3121 Terminal shell in container disallow-host/host-ns" {
		t.Errorf("-o jsonpath: %q", jp)
	}
	cc := mustZen(t, "get", "-n", ns, "--source", "falco,trivy", "-o", "custom-columns=NAME:.metadata.name,RULE:.spec.rule,KIND:.spec.resource.kind")
	if want := "NAME       RULE                          KIND\nev-falco   Terminal shell in container   <none>\nev-trivy   CVE-2021-3121                 Deployment\n"; cc != want {
		t.Errorf("-o custom-columns:\n%s\nwant\n%s", cc, want)
	}
	// The same through kubectl, as a plugin on PATH.
	r := kubectlZen(t, "get", "-n", ns, "--source", "trivy", "-o", "name")
	if r.code != 0 || strings.TrimSpace(r.out) != "zenagentevent.zen.kube-zen.io/ev-trivy" {
		t.Errorf("kubectl zen get: %d %q %s", r.code, r.out, r.err)
	}
}

func TestPluginSummaryMatchesTheAPIServer(t *testing.T) {
	ns := seedEvents(t, pluginEvents)
	var s struct {
		BySource       map[string]map[string]int `json:"bySource"`
		Open, Resolved int
		Total          int
	}
	if err := json.Unmarshal([]byte(mustZen(t, "summary", "-n", ns, "-o", "json")), &s); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]int{}
	open, resolved := 0, 0
	for _, ev := range listEvents(t, ns) {
		if want[ev.Spec.Source] == nil {
			want[ev.Spec.Source] = map[string]int{}
		}
		want[ev.Spec.Source][string(ev.Spec.Severity)]++
		if ev.Status.State == zenv1.StateResolved {
			resolved++
		} else {
			open++
		}
	}
	if fmt.Sprint(s.BySource) != fmt.Sprint(want) || s.Open != open || s.Resolved != resolved || s.Total != open+resolved {
		t.Errorf("summary %+v; the API server holds %v, %d open, %d resolved", s, want, open, resolved)
	}
	table := mustZen(t, "summary", "-n", ns)
	for _, w := range []string{"SOURCE", "CRITICAL", "TOTAL", "OPEN", "RESOLVED", "TOP NAMESPACES", "TOP RESOURCES", "Deployment/web"} {
		if !strings.Contains(table, w) {
			t.Errorf("summary lacks %q:\n%s", w, table)
		}
	}
}

func TestPluginDescribe(t *testing.T) {
	ns := seedEvents(t, pluginEvents)
	out := mustZen(t, "describe", "-n", ns, "ev-trivy")
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(lines[0], "Rule:") || !strings.Contains(lines[0], "CVE-2021-3121") || !strings.HasPrefix(lines[1], "Title:") {
		t.Errorf("rule and title must come first:\n%s", out)
	}
	for _, w := range []string{"Severity:    HIGH", "Count:       3", "Resource:    Deployment/web (apps/v1)", "First Seen:", "Last Seen:", "Labels:", "rule=CVE-2021-3121",
		"Details:\n  {\n    \"vulnerabilityID\": \"CVE-2021-3121\"\n  }"} {
		if !strings.Contains(out, w) {
			t.Errorf("describe lacks %q:\n%s", w, out)
		}
	}
	if r := zen(t, "", "describe", "-n", ns, "no-such-finding"); r.code == 0 || !strings.Contains(r.err, "not found") {
		t.Errorf("a missing finding must fail: %d %s", r.code, r.err)
	}
}

func TestPluginTailSeesNewFindings(t *testing.T) {
	ns := newNamespace(t)
	cmd := exec.Command(pluginPath(t), "--kubeconfig", kubeconfig, "tail", "-n", ns)
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// tail starts watching at some moment after Start: keep creating new
	// findings until one shows, so no fixed sleep decides the outcome.
	i := 0
	eventually(t, "tail prints a finding created after it started", func() error {
		i++
		seedEvents2(t, ns, fmt.Sprintf("late-%d", i))
		if s := out.String(); strings.Contains(s, "late-") {
			return nil
		}
		return fmt.Errorf("nothing printed yet: %q", out.String())
	})
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("tail did not exit cleanly on Ctrl-C: %v\n%s", err, out.String())
	}
	if s := out.String(); !strings.HasPrefix(s, "EVENT") || !strings.Contains(s, "NEW") {
		t.Errorf("tail output:\n%s", s)
	}
}

// seedEvents2 creates one more finding in an existing namespace.
func seedEvents2(t *testing.T, ns, name string) {
	t.Helper()
	ev := &zenv1.ZenAgentEvent{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{zenv1.LabelSource: "trivy", zenv1.LabelSeverity: "HIGH"}},
		Spec: zenv1.ZenAgentEventSpec{Source: "trivy", Category: zenv1.CategorySecurity, Severity: zenv1.SeverityHigh,
			EventType: "vulnerability", Rule: "CVE-2026-0002", DetectedAt: metav1.Now(), DedupKey: name},
	}
	if err := k8sClient.Create(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
}

func TestPluginSendSignedAndUnsigned(t *testing.T) {
	const key = "cli-hmac-key"
	d := startWebhookDaemon(t, func(c *config.Config) { c.Webhooks.HMACSecret = config.Secret(key) })
	dir := t.TempDir()
	tokenFile, keyFile, wrongFile := filepath.Join(dir, "token"), filepath.Join(dir, "key"), filepath.Join(dir, "wrong")
	for f, v := range map[string]string{tokenFile: webhookToken + "\n", keyFile: key, wrongFile: "not-it"} {
		if err := os.WriteFile(f, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ns := newNamespace(t)
	for _, c := range []struct {
		name string
		auth []string
		code int
	}{
		{"token", []string{"--token-file", tokenFile}, 0},
		{"signed", []string{"--hmac-secret-file", keyFile}, 0},
		{"wrong token", []string{"--token-file", wrongFile}, 1},
		{"none", nil, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			rule := "Plugin send " + c.name
			body := fmt.Sprintf(`{"output":"x","priority":"Warning","rule":%q,"time":"2026-11-23T12:00:00Z","output_fields":{"k8s.ns.name":%q,"k8s.pod.name":"p"}}`, rule, ns)
			r := zen(t, body, append([]string{"send", "falco", "-", "--url", d.url}, c.auth...)...)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, c.code, r.out, r.err)
			}
			if c.code != 0 {
				if !strings.Contains(r.out, "401") || !strings.Contains(r.out, `"status": 401`) {
					t.Errorf("the refusal's problem details must be printed:\n%s", r.out)
				}
				return
			}
			if !strings.HasPrefix(r.out, "202 /falco/webhook") || !strings.Contains(r.out, `"accepted": 1`) {
				t.Errorf("answer:\n%s", r.out)
			}
			eventually(t, "the sent alert is stored", func() error {
				for _, ev := range listEvents(t, ns) {
					if ev.Spec.Rule == rule && ev.Spec.Title == rule {
						return nil
					}
				}
				return fmt.Errorf("no event with rule %q in %s", rule, ns)
			})
		})
	}
	// An audit EventList file, through a file argument.
	f := filepath.Join(dir, "audit.json")
	if err := os.WriteFile(f, []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := zen(t, "", "send", "audit", f, "--url", d.url, "--token-file", tokenFile); r.code != 0 || !strings.HasPrefix(r.out, "202 /audit/webhook") {
		t.Errorf("send audit: %d %s %s", r.code, r.out, r.err)
	}
}
