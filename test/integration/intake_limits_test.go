package integration

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
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

// TestFullNonceCacheAnswers503 fills the daemon's nonce cache (at its
// smallest, HMAC_MAX_NONCES=1000) with correctly signed requests: the next
// one is told to retry, 503 with Retry-After, never 401, and a replay of a
// remembered nonce is still refused as one.
func TestFullNonceCacheAnswers503(t *testing.T) {
	const key, capacity = "nonce-hmac-key", 1000
	d := startWebhookDaemon(t, func(c *config.Config) {
		c.Webhooks.HMACSecret, c.Webhooks.HMACMaxNonces, c.Webhooks.RateLimitRPS = key, capacity, 0
	})
	body := []byte(`{"rule":"Nonce test","priority":"Debug","output":"x","time":"2026-01-01T00:00:00Z"}`)
	send := func(nonce string) (*http.Response, string) {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		m := hmac.New(sha256.New, []byte(key))
		m.Write([]byte(ts + "." + nonce + "."))
		m.Write(body)
		req, _ := http.NewRequest(http.MethodPost, d.url+"/falco/webhook", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(webhook.HeaderTimestamp, ts)
		req.Header.Set(webhook.HeaderNonce, nonce)
		req.Header.Set(webhook.HeaderSignature, "sha256="+hex.EncodeToString(m.Sum(nil)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(out)
	}
	for i := range capacity {
		if resp, out := send(fmt.Sprintf("fill-nonce-%06d", i)); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("signed request %d: %d %s", i, resp.StatusCode, out)
		}
	}
	resp, out := send("one-too-many-000")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(out, webhook.AuthNonceCacheFull) {
		t.Fatalf("full cache: %d %s, want 503 %s", resp.StatusCode, out, webhook.AuthNonceCacheFull)
	}
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 {
		t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	if resp, out := send("fill-nonce-000007"); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(out, webhook.AuthReplayed) {
		t.Errorf("a replay with the cache full: %d %s, want 401 %s", resp.StatusCode, out, webhook.AuthReplayed)
	}
	_, metrics := d.get(t, "/metrics")
	if !strings.Contains(metrics, "zen_watcher_webhook_hmac_nonces "+strconv.Itoa(capacity)) {
		t.Errorf("the nonce gauge does not show the full cache")
	}
}

// TestRefusalFloodWritesFewLogLines sends 20,000 refused requests to the
// daemon over HTTP, for two reasons (no credentials, wrong method): at most
// 100 log lines come of them, and the metrics count every one.
func TestRefusalFloodWritesFewLogLines(t *testing.T) {
	d := startWebhookDaemon(t, func(c *config.Config) { c.Webhooks.RateLimitRPS = 0 })
	const n, workers = 20_000, 8
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			var err error
			for i := w; i < n && err == nil; i += workers {
				method := http.MethodPost
				if i%2 == 1 {
					method = http.MethodGet
				}
				req, _ := http.NewRequest(method, d.url+"/falco/webhook", nil)
				var resp *http.Response
				if resp, err = http.DefaultClient.Do(req); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusMethodNotAllowed {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
			}
			errs <- err
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Count(d.logs.String(), `"msg":"webhook request refused"`)
	t.Logf("%d refused requests, %d log lines", n, lines)
	if lines > 100 {
		t.Errorf("%d log lines for %d refusals, want at most 100", lines, n)
	}
	_, metrics := d.get(t, "/metrics")
	for _, want := range []string{`zen_watcher_webhook_requests_total{code="401",endpoint="falco"} 10000`, `zen_watcher_webhook_requests_total{code="405",endpoint="falco"} 10000`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
