package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kube-zen/zen-watcher/internal/config"
)

// BenchmarkWebhookLoad runs the daemon in-process against the test API
// server and drives its Falco webhook with hack/loadgen, a separate
// process on loopback: first as fast as 64 keep-alive connections go,
// then paced at 2,000 requests/s, with a bearer token; then as fast as it
// goes with every request signed (HMAC). Every request carries the same
// alert, so after the first all are repeats: the intake path with no API
// writes. Run with:
//
//	make bench-webhook
func BenchmarkWebhookLoad(b *testing.B) {
	t := &testing.T{}
	const hmacKey = "bench-hmac-key"
	d := startWebhookDaemon(t, func(c *config.Config) {
		c.FalcoBufferSize, c.Webhooks.HMACSecret, c.Webhooks.RateLimitRPS = 10_000, hmacKey, 0
	})
	defer func() { _ = d.stop() }()
	body := readFixture(t, "falco/syscall_terminal_shell_in_container.json")
	if code, out := d.post(b, "/falco/webhook", webhookToken, body); code != 202 {
		b.Fatalf("first alert: %d %s", code, out)
	}
	bodyFile, loadgen := buildLoadgen(b, body)
	duration := envOr("BENCH_DURATION", "10s")
	for b.Loop() {
		for _, run := range []struct{ name, rate, auth, value string }{
			{"bearer token, closed loop, 64 connections", "0", "-header", "Authorization: Bearer " + webhookToken},
			{"bearer token, paced at 2000/s", "2000", "-header", "Authorization: Bearer " + webhookToken},
			{"HMAC signed, closed loop, 64 connections", "0", "-hmac-key", hmacKey},
		} {
			cmd := exec.Command(loadgen, "-url", d.url+"/falco/webhook", "-body", bodyFile, "-conns", "64",
				"-duration", duration, "-rate", run.rate, run.auth, run.value)
			out, err := cmd.CombinedOutput()
			if err != nil {
				b.Fatalf("loadgen: %v\n%s", err, out)
			}
			b.Logf("%s:\n%s", run.name, out)
			time.Sleep(time.Second)
		}
	}
}

// BenchmarkWebhookHMACSustained holds 5,000 signed requests a second, each
// with a new nonce, for BENCH_HMAC_DURATION (default 60s) against the
// daemon at its default settings but for the rate limits, which are
// raised: the documented sustained signed rate. Every answer must be 2xx;
// a nonce cache too small for the rate would answer 503. Run with:
//
//	make bench-webhook-hmac
func BenchmarkWebhookHMACSustained(b *testing.B) {
	t := &testing.T{}
	const hmacKey = "bench-hmac-key"
	d := startWebhookDaemon(t, func(c *config.Config) { c.Webhooks.HMACSecret, c.Webhooks.RateLimitRPS = hmacKey, 0 })
	defer func() { _ = d.stop() }()
	body := readFixture(t, "falco/syscall_terminal_shell_in_container.json")
	bodyFile, loadgen := buildLoadgen(b, body)
	duration := envOr("BENCH_HMAC_DURATION", "60s")
	for b.Loop() {
		out, err := exec.Command(loadgen, "-url", d.url+"/falco/webhook", "-body", bodyFile, "-conns", "64",
			"-duration", duration, "-rate", "5000", "-hmac-key", hmacKey).CombinedOutput()
		if err != nil {
			b.Fatalf("loadgen: %v\n%s", err, out)
		}
		b.Logf("HMAC signed, paced at 5000/s for %s:\n%s", duration, out)
		status := regexp.MustCompile(`status map\[(.*)\]  errors (\d+)`).FindStringSubmatch(string(out))
		if status == nil {
			b.Fatalf("no status line in the loadgen output")
		}
		for _, kv := range strings.Fields(status[1]) {
			if !strings.HasPrefix(kv, "2") {
				b.Errorf("non-2xx answers: %s", kv)
			}
		}
		if status[2] != "0" {
			b.Errorf("%s connection errors", status[2])
		}
	}
}

// buildLoadgen writes body to a file and builds hack/loadgen beside it, for
// a benchmark to drive the daemon with from a separate process.
func buildLoadgen(b *testing.B, body []byte) (bodyFile, loadgen string) {
	b.Helper()
	dir := b.TempDir()
	bodyFile, loadgen = filepath.Join(dir, "alert.json"), filepath.Join(dir, "loadgen")
	if err := os.WriteFile(bodyFile, body, 0o600); err != nil {
		b.Fatal(err)
	}
	build := exec.Command("go", "build", "-o", loadgen, "./hack/loadgen")
	build.Dir = repoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building loadgen: %v\n%s", err, out)
	}
	return bodyFile, loadgen
}

// envOr is the environment variable name, or def when it is unset or empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
