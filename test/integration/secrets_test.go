package integration

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/webhook"
)

// TestNoSecretLeaks drives every rejection path of the webhooks against
// the real server and checks that no token, key or signature appears in
// any answer, in the log or in the metrics; and that each rejection logs
// one line with its reason and request id.
func TestNoSecretLeaks(t *testing.T) {
	const token, key = "leak-test-token-Zq81", "leak-test-hmac-key-Pw42"
	d := startDaemonWith(t, restConfig, func(c *config.Config) {
		c.Webhooks.Token, c.Webhooks.HMACSecret = token, key
		c.Webhooks.RateLimitRPS, c.Webhooks.RateLimitBurst = 0.001, 31 // past the 405, 415 and 413, the last request below is the 32nd
		c.FalcoBufferSize = 1
		c.Webhooks.FalcoMaxBodyBytes = 2048
	})
	d.waitReady(t, http.StatusOK)
	now := strconv.FormatInt(time.Now().Unix(), 10)
	sig := func(ts, nonce, body string) string {
		return signature(key, ts, nonce, body)
	}
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	_, _ = zw.Write(bytes.Repeat([]byte("a"), 1<<20))
	_ = zw.Close()
	type req struct {
		name, method, body string
		header             []string
		want               int
	}
	cases := []req{
		{"GET", http.MethodGet, "", nil, 405},
		{"form", http.MethodPost, "a=b", []string{"Content-Type", "application/x-www-form-urlencoded"}, 415},
		{"too large", http.MethodPost, strings.Repeat("x", 4096), []string{"Authorization", "Bearer " + token}, 413},
		{"gzip bomb", http.MethodPost, bomb.String(), []string{"Authorization", "Bearer " + token, "Content-Encoding", "gzip"}, 413},
		{"no credentials", http.MethodPost, "{}", nil, 401},
		{"wrong token", http.MethodPost, "{}", []string{"Authorization", "Bearer not-" + token}, 401},
		{"token as basic", http.MethodPost, "{}", []string{"Authorization", "Basic " + token}, 401},
		{"bad signature", http.MethodPost, "{}", []string{webhook.HeaderTimestamp, now, webhook.HeaderNonce, "leak-nonce-000001", webhook.HeaderSignature, sig(now, "leak-nonce-000001", "other")}, 401},
		{"signature in base64", http.MethodPost, "{}", []string{webhook.HeaderTimestamp, now, webhook.HeaderNonce, "leak-nonce-000002", webhook.HeaderSignature, "sha256=" + strings.Repeat("A", 43) + "="}, 401},
		{"stale timestamp", http.MethodPost, "{}", []string{webhook.HeaderTimestamp, "1000", webhook.HeaderNonce, "leak-nonce-000003", webhook.HeaderSignature, sig("1000", "leak-nonce-000003", "{}")}, 401},
		{"milliseconds", http.MethodPost, "{}", []string{webhook.HeaderTimestamp, now + "000", webhook.HeaderNonce, "leak-nonce-000004", webhook.HeaderSignature, sig(now+"000", "leak-nonce-000004", "{}")}, 401},
		{"short nonce", http.MethodPost, "{}", []string{webhook.HeaderTimestamp, now, webhook.HeaderNonce, "short", webhook.HeaderSignature, sig(now, "short", "{}")}, 401},
		{"signed", http.MethodPost, "{}", []string{webhook.HeaderTimestamp, now, webhook.HeaderNonce, "leak-nonce-000005", webhook.HeaderSignature, sig(now, "leak-nonce-000005", "{}")}, 400},
		{"replayed", http.MethodPost, "{}", []string{webhook.HeaderTimestamp, now, webhook.HeaderNonce, "leak-nonce-000005", webhook.HeaderSignature, sig(now, "leak-nonce-000005", "{}")}, 401},
		{"bad request id", http.MethodPost, "{}", []string{"Authorization", "Bearer " + token, webhook.HeaderRequestID, strings.Repeat("i", 300)}, 400},
		{"contract v9", http.MethodPost, "{}", []string{"Authorization", "Bearer " + token, webhook.HeaderContractVersion, "v9"}, 400},
		{"invalid JSON", http.MethodPost, "{", []string{"Authorization", "Bearer " + token}, 400},
		{"first with an id", http.MethodPost, "{}", []string{"Authorization", "Bearer " + token, webhook.HeaderRequestID, "leak-id-1"}, 400},
		{"id reused with another body", http.MethodPost, "[]", []string{"Authorization", "Bearer " + token, webhook.HeaderRequestID, "leak-id-1"}, 409},
	}
	// New alerts into a one-finding buffer: 202 or 503, whichever comes.
	for i := range 15 {
		cases = append(cases, req{fmt.Sprintf("flood %d", i), http.MethodPost, string(alert("Leak flood "+uniqueName(t), fmt.Sprintf("p%d", i))),
			[]string{"Authorization", "Bearer " + token}, 0})
	}
	cases = append(cases, req{"rate limited", http.MethodPost, "{}", []string{"Authorization", "Bearer " + token}, 429})

	var answers strings.Builder
	refusals := 0
	for _, c := range cases {
		r, _ := http.NewRequest(c.method, d.url+"/falco/webhook", strings.NewReader(c.body))
		r.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(c.header); i += 2 {
			r.Header.Set(c.header[i], c.header[i+1])
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if c.want != 0 && resp.StatusCode != c.want {
			t.Errorf("%s: %d, want %d: %s", c.name, resp.StatusCode, c.want, body)
		}
		if resp.StatusCode >= 400 {
			refusals++
			if resp.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(body), `"instance":"`+resp.Header.Get(webhook.HeaderRequestID)+`"`) {
				t.Errorf("%s: not a problem with the request id as instance: %v %s", c.name, resp.Header, body)
			}
		}
		fmt.Fprintf(&answers, "%v\n%s\n", resp.Header, body)
	}
	_, metrics := d.get(t, "/metrics")
	logs := d.logs.String()
	for _, secret := range []string{token, key, sig(now, "leak-nonce-000005", "{}")[len("sha256="):]} {
		for where, text := range map[string]string{"answers": answers.String(), "log": logs, "metrics": metrics} {
			if strings.Contains(text, secret) {
				t.Errorf("a secret appears in the %s", where)
			}
		}
	}
	if n := strings.Count(logs, `"msg":"webhook request refused"`); n != refusals {
		t.Errorf("%d refusal log lines for %d refusals", n, refusals)
	}
	for _, key := range []string{`"reason":`, `"requestID":`, `"client":`, `"endpoint":"falco"`} {
		if !strings.Contains(logs, key) {
			t.Errorf("refusal lines lack %s", key)
		}
	}
}
