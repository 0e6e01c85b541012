package integration

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source/audit"
	"github.com/kube-zen/zen-watcher/test/fixtures"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
)

const webhookToken = "integration-webhook-token"

// startWebhookDaemon runs the daemon with the webhook token set.
func startWebhookDaemon(t *testing.T, tune func(*config.Config)) *daemon {
	t.Helper()
	d := startDaemonWith(t, restConfig, func(c *config.Config) {
		c.Webhooks.Token = webhookToken
		c.FlushInterval = 200 * time.Millisecond
		tune(c)
	})
	d.waitReady(t, http.StatusOK)
	return d
}

// post sends body to a webhook with the token and returns the status and body.
func (d *daemon) post(t testing.TB, path, token string, body []byte) (int, string) {
	t.Helper()
	return d.postWith(t, path, token, body)
}

// postWith is post with extra headers, given as name, value pairs.
func (d *daemon) postWith(t testing.TB, path, token string, body []byte, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, d.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

func readFixture(t *testing.T, rel string) []byte {
	t.Helper()
	return fixtures.MustRead(t, rel)
}

// alert is a Falco alert of its own rule, so no other test shares its key.
func alert(rule, pod string) []byte {
	return []byte(fmt.Sprintf(`{"output":"12:00:00.000000000: Warning %s (pod=%s)","priority":"Warning","rule":%q,`+
		`"time":"2026-11-23T12:00:00.000000000Z","source":"syscall","hostname":"node-1","tags":["test"],`+
		`"output_fields":{"k8s.ns.name":"default","k8s.pod.name":%q,"container.name":"app","proc.exepath":"/bin/sh","evt.time":1}}`,
		rule, pod, rule, pod))
}

func TestFalcoFixturesThroughTheWebhook(t *testing.T) {
	d := startWebhookDaemon(t, func(*config.Config) {})
	for _, tc := range []struct {
		file     string
		accepted int
		dropped  string
	}{
		{"falco/syscall_terminal_shell_in_container.json", 1, ""},
		{"falco/k8saudit_disallowed_user_403.json", 1, ""},
		{"falco/k8saudit_attach_exec_pod.json", 0, "below-min-priority"}, // Notice, under the default Warning
		{"falco/falcosidekick_test_input.json", 0, "below-min-priority"}, // Debug
		{"falco/internal_metrics_snapshot.json", 0, "internal"},
	} {
		code, body := d.post(t, "/falco/webhook", webhookToken, readFixture(t, tc.file))
		var rc struct {
			Accepted int            `json:"accepted"`
			Dropped  map[string]int `json:"dropped"`
		}
		if err := json.Unmarshal([]byte(body), &rc); err != nil || code != http.StatusAccepted {
			t.Fatalf("%s: %d %s", tc.file, code, body)
		}
		if rc.Accepted != tc.accepted || (tc.dropped != "" && rc.Dropped[tc.dropped] != 1) {
			t.Errorf("%s: receipt %s, want %d accepted, dropped %q", tc.file, body, tc.accepted, tc.dropped)
		}
	}
	eventually(t, "falco events stored", func() error {
		evs := eventsOf(t, "falco")
		shell, denied := findRule(evs, "Terminal shell in container"), findRule(evs, "Disallowed K8s User")
		if shell == nil || denied == nil {
			return fmt.Errorf("have %d falco events, want the shell and the disallowed-user alerts", len(evs))
		}
		if shell.Spec.Severity != zenv1.SeverityCritical || shell.Spec.Category != zenv1.CategorySecurity || shell.Spec.EventType != "runtime-security" ||
			shell.Spec.Resource == nil || shell.Spec.Resource.Kind != "Pod" || shell.Spec.Resource.Name != "kubecon" || shell.Namespace != "default" {
			return fmt.Errorf("shell alert stored as %+v in %s", shell.Spec, shell.Namespace)
		}
		if denied.Spec.Severity != zenv1.SeverityMedium || shell.Status.Count < 1 { // other tests post the shell fixture too
			return fmt.Errorf("disallowed user %s, shell count %d", denied.Spec.Severity, shell.Status.Count)
		}
		return nil
	})
}

func findRule(evs map[string]zenv1.ZenAgentEvent, rule string) *zenv1.ZenAgentEvent {
	for _, e := range evs {
		var details map[string]any
		if e.Spec.Details != nil && json.Unmarshal(e.Spec.Details.Raw, &details) == nil && details["rule"] == rule {
			return &e
		}
	}
	return nil
}

func TestAuditEventListThroughTheWebhook(t *testing.T) {
	d := startWebhookDaemon(t, func(*config.Config) {})
	list := readFixture(t, "k8s-audit/eventlist_ASSEMBLED_from_falco_traces.json")
	for range 2 { // the API server retries a batch it thinks failed: nothing counts twice
		if code, body := d.post(t, "/audit/webhook", webhookToken, list); code != http.StatusAccepted {
			t.Fatalf("%d %s", code, body)
		}
	}
	want := map[string]string{ // auditID → eventType
		"55a81824-ab56-46c5-8b02-96336f5e78d7": "secret-modified",
		"ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6": "pod-exec",
		"c97244c7-4aec-4714-946a-8204d00ecdca": "rbac-modified",
		"8bb19a30-3d68-4fd7-999e-90a9014afac0": "resource-deleted",
		"d1df3fa9-497f-49cf-bd48-60a651df8075": "secret-modified",
	}
	eventually(t, "audit events stored", func() error {
		evs := eventsOf(t, audit.SourceName)
		if len(evs) != len(want) {
			return fmt.Errorf("%d audit events, want %d", len(evs), len(want))
		}
		for id, typ := range want {
			e, ok := evs[id]
			if !ok || e.Spec.EventType != typ || e.Spec.Category != zenv1.CategoryCompliance || e.Status.Count != 1 {
				return fmt.Errorf("audit %s: %+v count %d, want %s counted once", id, e.Spec, e.Status.Count, typ)
			}
		}
		if evs["c97244c7-4aec-4714-946a-8204d00ecdca"].Spec.Severity != zenv1.SeverityCritical {
			return fmt.Errorf("a cluster-admin binding must be CRITICAL")
		}
		return nil
	})
}

func TestThousandRepeatsMakeOneEvent(t *testing.T) {
	d := startWebhookDaemon(t, func(*config.Config) {})
	body := alert("Repeat "+uniqueName(t), "repeat-pod")
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < 1000; i += 8 {
				if code, out := d.post(t, "/falco/webhook", webhookToken, body); code != http.StatusAccepted {
					t.Errorf("%d %s", code, out)
					return
				}
			}
		})
	}
	wg.Wait()
	eventually(t, "one event counting 1000", func() error {
		var found *zenv1.ZenAgentEvent
		for _, e := range eventsOf(t, "falco") {
			if e.Spec.Resource != nil && e.Spec.Resource.Name == "repeat-pod" {
				if found != nil {
					return fmt.Errorf("two events for one alert")
				}
				found = &e
			}
		}
		if found == nil || found.Status.Count != 1000 {
			return fmt.Errorf("event %v", found)
		}
		return nil
	})
}

func TestWebhookAuthAgainstTheServer(t *testing.T) {
	d := startWebhookDaemon(t, func(*config.Config) {})
	body := alert("Auth "+uniqueName(t), "auth-pod")
	for _, tc := range []struct {
		name, token string
		want        int
	}{
		{"missing", "", http.StatusUnauthorized},
		{"wrong", "not-the-token", http.StatusUnauthorized},
		{"prefix of the right one", webhookToken[:5], http.StatusUnauthorized},
		{"right", webhookToken, http.StatusAccepted},
	} {
		code, out := d.post(t, "/falco/webhook", tc.token, body)
		if code != tc.want || strings.Contains(out, webhookToken) {
			t.Errorf("%s token: %d %s, want %d", tc.name, code, out, tc.want)
		}
	}
	if n := counterValue(t, d.registry, "zen_watcher_webhook_auth_failures_total"); n != 3 {
		t.Errorf("auth failures %v, want 3", n)
	}

	closed := startDaemon(t, restConfig) // no token configured: closed, with a reason
	code, out := closed.post(t, "/audit/webhook", "", []byte(`{}`))
	if code != http.StatusUnauthorized || !strings.Contains(out, "WEBHOOK_TOKEN") {
		t.Errorf("unconfigured auth: %d %s", code, out)
	}
}

func TestFullWebhookBufferAnswers503(t *testing.T) {
	// One write a second through one worker and a one-slot queue: the
	// drainer waits on the writer, the buffer fills, senders get 503.
	d := startWebhookDaemon(t, func(c *config.Config) {
		c.FalcoBufferSize, c.WriteQueueSize, c.WriteWorkers, c.APIQPS, c.APIBurst = 2, 1, 1, 1, 1
	})
	prefix := "Flood " + uniqueName(t)
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 15 {
				code, out := d.post(t, "/falco/webhook", webhookToken, alert(fmt.Sprintf("%s %d-%d", prefix, w, i), "flood-pod"))
				if code == http.StatusServiceUnavailable && !strings.Contains(out, "buffer-full") {
					t.Errorf("503 without its reason: %s", out)
				}
				mu.Lock()
				codes[code]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if codes[http.StatusServiceUnavailable] == 0 || codes[http.StatusAccepted] == 0 || len(codes) != 2 {
		t.Fatalf("answers %v: want 202s, then 503s from the full buffer, and nothing else", codes)
	}
	if code, _ := d.get(t, "/health"); code != http.StatusOK {
		t.Errorf("/health %d after the flood", code)
	}
	if n := counterValue(t, d.registry, "zen_watcher_webhook_dropped_total"); n == 0 {
		t.Error("buffer-full drops not counted")
	}
}

// An audit event stored by another replica, or before a restart, and
// unknown to this process's index: its redelivery meets AlreadyExists and
// must not add an occurrence.
func TestSingleOccurrenceStoredElsewhereIsNotCountedAgain(t *testing.T) {
	ns := newNamespace(t)
	f := synthetic(ns, 1, time.Now())
	f.Source, f.DedupKey, f.SingleOccurrence = "audit", "audit-id-"+uniqueName(t), true
	raw := validEvent(finding.ObjectName(f.Source, f.DedupKey, 0)) // without the key label: invisible to the index
	raw["metadata"].(map[string]any)["namespace"] = ns
	spec := raw["spec"].(map[string]any)
	spec["source"], spec["dedupKey"] = f.Source, f.DedupKey
	raw["metadata"].(map[string]any)["labels"].(map[string]any)["source"] = f.Source
	if _, err := dynamic.NewForConfigOrDie(restConfig).Resource(zaeGVR).Namespace(ns).
		Create(context.Background(), &unstructured.Unstructured{Object: raw}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	r := startPipeline(t, defaultConfig(t))
	for range 3 {
		if err := r.Pipeline.Submit(context.Background(), f); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the AlreadyExists is seen", func() error {
		if n := counterValue(t, r.Registry, "zen_watcher_write_already_exists_total"); n != 1 {
			return fmt.Errorf("already-exists %v, want 1", n)
		}
		return nil
	})
	r.stop() // drains: any status write would have happened by now
	for _, e := range listEvents(t, ns) {
		if e.Status.Count != 0 {
			t.Errorf("%s counted %d more occurrences of an event stored already", e.Name, e.Status.Count)
		}
	}
}

// hmacRecipe is the shell block the README publishes for signing.
func hmacRecipe(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(repoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "<!-- hmac-recipe: test/integration runs this block -->\n```sh\n")
	recipe, _, closed := strings.Cut(rest, "```")
	if !ok || !closed {
		t.Fatal("README has no HMAC recipe block")
	}
	return recipe
}

func TestDocumentedHMACRecipe(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed")
	}
	const key = "integration-hmac-key"
	d := startWebhookDaemon(t, func(c *config.Config) { c.Webhooks.HMACSecret = "retired-key," + key })
	bodyFile := filepath.Join(t.TempDir(), "alert.json")
	if err := os.WriteFile(bodyFile, alert("Signed "+uniqueName(t), "signed-pod"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(env ...string) string {
		cmd := exec.Command("bash", "-euo", "pipefail", "-c", hmacRecipe(t))
		cmd.Env = append(os.Environ(), append([]string{"KEY=" + key, "URL=" + d.url + "/falco/webhook", "BODY_FILE=" + bodyFile}, env...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("recipe: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if code := run(); code != "202" {
		t.Fatalf("a request signed by the documented recipe: %s, want 202", code)
	}
	fixed := []string{"TS=" + strconv.FormatInt(time.Now().Unix(), 10), "NONCE=integration-nonce-0001"}
	if code := run(fixed...); code != "202" {
		t.Fatalf("signed with a fixed nonce: %s", code)
	}
	if code := run(fixed...); code != "401" {
		t.Fatalf("the same request again: %s, want 401 (replay)", code)
	}
	if n := counterValue(t, d.registry, "zen_watcher_webhook_auth_failures_total"); n != 1 {
		t.Errorf("auth failures %v, want the one replay", n)
	}
	if code, _ := d.post(t, "/falco/webhook", "", []byte(`{}`)); code != http.StatusUnauthorized {
		t.Errorf("an unsigned request: %d", code)
	}
}

// signature signs as the README's scheme says.
func signature(key, ts, nonce, body string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(ts + "." + nonce + "." + body))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}
