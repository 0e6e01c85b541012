package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/kube-zen/zen-watcher/internal/config"
)

// BenchmarkWebhookAckModes compares FALCO_ACK=accepted with stored, each
// on a daemon of its own at the default FLUSH_INTERVAL (2s) and API_QPS
// (200), driven by hack/loadgen with 64 keep-alive connections for
// BENCH_DURATION (default 10s): first the same alert again and again
// (repeats: one coalesced status write per flush), then a new alert in
// every request (each a create). Run with:
//
//	make bench-webhook-ack
func BenchmarkWebhookAckModes(b *testing.B) {
	dir := b.TempDir()
	loadgen := filepath.Join(dir, "loadgen")
	build := exec.Command("go", "build", "-o", loadgen, "./hack/loadgen")
	build.Dir = repoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building loadgen: %v\n%s", err, out)
	}
	duration := "10s"
	if v := os.Getenv("BENCH_DURATION"); v != "" {
		duration = v
	}
	const placeholder = "000000000000"
	for b.Loop() {
		for _, mode := range []config.AckMode{config.AckAccepted, config.AckStored} {
			t := &testing.T{}
			d := startDaemonWith(t, restConfig, func(c *config.Config) {
				c.Webhooks.Token, c.Webhooks.FalcoAck, c.Webhooks.RateLimitRPS, c.FalcoBufferSize = webhookToken, mode, 0, 10_000
			})
			d.waitReady(t, 200)
			run := fmt.Sprintf("bench-ack-%s-%d", mode, time.Now().UnixNano())
			for _, load := range []struct{ name, rule, unique string }{
				{"repeats of one alert", run + "-repeat", ""},
				{"a new alert per request", run + "-new-" + placeholder, placeholder},
			} {
				body := filepath.Join(dir, "alert.json")
				if err := os.WriteFile(body, alert(load.rule, "bench"), 0o600); err != nil {
					b.Fatal(err)
				}
				args := []string{"-url", d.url + "/falco/webhook", "-body", body, "-conns", "64", "-duration", duration,
					"-header", "Authorization: Bearer " + webhookToken}
				if load.unique != "" {
					args = append(args, "-unique", load.unique)
				}
				out, err := exec.Command(loadgen, args...).CombinedOutput()
				if err != nil {
					b.Fatalf("loadgen: %v\n%s", err, out)
				}
				b.Logf("FALCO_ACK=%s, %s:\n%s", mode, load.name, out)
				time.Sleep(3 * time.Second) // let the writes of the last run drain
			}
			_ = d.stop()
		}
	}
}
