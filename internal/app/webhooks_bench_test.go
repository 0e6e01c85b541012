package app

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/pipeline"
	"github.com/kube-zen/zen-watcher/internal/store"
	"github.com/kube-zen/zen-watcher/internal/webhook"
	"github.com/kube-zen/zen-watcher/test/fixtures"
)

// acceptAll completes every write at once, as an API server that accepts
// everything would: after the first occurrence every alert is a repeat.
type acceptAll struct{}

func (acceptAll) Saturated() bool { return false }

func (acceptAll) Enqueue(_ context.Context, op *store.Op) error {
	for next := op; next != nil && next.Done != nil; {
		r := store.Result{Namespace: next.Event.Namespace, Hint: &store.Hint{ResourceVersion: "1"}, Created: !next.Exists}
		next = next.Done(r)
	}
	return nil
}

type noneStored struct{}

func (noneStored) Latest(string) (string, int, bool) { return "", 0, false }

// benchHandler is the daemon's webhook handler over the real parsers and
// pipeline stages, with a writer that accepts everything.
func benchHandler(b *testing.B, tune func(*config.Webhooks)) http.Handler {
	b.Helper()
	cfg, err := config.Load(func(string) (string, bool) { return "", false })
	if err != nil {
		b.Fatal(err)
	}
	cfg.Webhooks.Token = "bench-token"
	cfg.Webhooks.RateLimitRPS = 0 // one sender, as fast as it goes
	tune(&cfg.Webhooks)
	cfg.FalcoBufferSize, cfg.AuditBufferSize = 1_000_000, 1_000_000
	log := slog.New(slog.DiscardHandler)
	m := pipeline.NewMetrics(nil)
	filter, err := pipeline.NewFilterStage(cfg.BehaviorMode, "", m)
	if err != nil {
		b.Fatal(err)
	}
	agg := pipeline.NewAggregator(acceptAll{}, noneStored{}, 0, "default", m, log)
	p := pipeline.New(agg, pipeline.NewNormalizeStage(m, time.Now), filter)
	hooks, err := NewWebhooks(cfg, p, prometheus.NewRegistry(), log)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { hooks.Run(ctx); close(done) }()
	b.Cleanup(func() { hooks.Close(); cancel(); <-done })
	mux := http.NewServeMux()
	hooks.Register(mux)
	return mux
}

func benchPost(b *testing.B, h http.Handler, path string, body []byte) {
	b.Helper()
	benchPostWith(b, h, path, body, func(req *http.Request) { req.Header.Set("Authorization", "Bearer bench-token") })
}

func benchPostWith(b *testing.B, h http.Handler, path string, body []byte, authenticate func(*http.Request)) {
	b.Helper()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		authenticate(req)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusAccepted {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkFalcoWebhookRepeat is one authenticated Falco alert through the
// handler, the parser, the pipeline stages and the aggregator's dedup hit:
// everything but the network.
func BenchmarkFalcoWebhookRepeat(b *testing.B) {
	benchPost(b, benchHandler(b, func(*config.Webhooks) {}), FalcoPath, fixtures.MustRead(b, "falco/syscall_terminal_shell_in_container.json"))
}

// BenchmarkFalcoWebhookRepeatHMAC is BenchmarkFalcoWebhookRepeat with each
// request signed, under a new nonce, instead of carrying a bearer token.
func BenchmarkFalcoWebhookRepeatHMAC(b *testing.B) {
	const key = "bench-hmac-key"
	h := benchHandler(b, func(w *config.Webhooks) { w.HMACSecret = key })
	body := fixtures.MustRead(b, "falco/syscall_terminal_shell_in_container.json")
	n := 0
	benchPostWith(b, h, FalcoPath, body, func(req *http.Request) {
		n++
		ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), fmt.Sprintf("bench-nonce-%016d", n)
		m := hmac.New(sha256.New, []byte(key))
		m.Write([]byte(ts + "." + nonce + "."))
		m.Write(body)
		req.Header.Set(webhook.HeaderTimestamp, ts)
		req.Header.Set(webhook.HeaderNonce, nonce)
		req.Header.Set(webhook.HeaderSignature, "sha256="+hex.EncodeToString(m.Sum(nil)))
	})
}

// BenchmarkAuditWebhookEventList400 is a 400-event EventList, mostly
// routine reads with some events the rules keep, all repeats after the
// first request.
func BenchmarkAuditWebhookEventList400(b *testing.B) {
	benchPost(b, benchHandler(b, func(*config.Webhooks) {}), AuditPath, eventList400(b))
}

// eventList400 repeats the fixture list's events, with routine reads by the
// control plane in between, to 400 items.
func eventList400(b *testing.B) []byte {
	b.Helper()
	data, err := os.ReadFile(filepath.Join(fixtures.Dir(), "k8s-audit", "eventlist_ASSEMBLED_from_falco_traces.json"))
	if err != nil {
		b.Fatal(err)
	}
	items := bytes.TrimSuffix(bytes.TrimSpace(data[bytes.Index(data, []byte(`"items":[`))+len(`"items":[`):]), []byte("]}"))
	routine := []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"00000000-0000-0000-0000-000000000000","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/kube-system/configmaps/kube-proxy","verb":"get","user":{"username":"system:node:node-1","groups":["system:nodes","system:authenticated"]},"sourceIPs":["10.0.0.1"],"userAgent":"kubelet/v1.37.2","objectRef":{"resource":"configmaps","namespace":"kube-system","name":"kube-proxy","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2026-11-23T10:00:00.000000Z","stageTimestamp":"2026-11-23T10:00:00.001000Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}`)
	var list bytes.Buffer
	list.WriteString(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[`)
	for i := range 40 { // 40 × (5 fixture events + 5 routine reads) = 400 items
		if i > 0 {
			list.WriteByte(',')
		}
		list.Write(items)
		for range 5 {
			list.WriteByte(',')
			list.Write(routine)
		}
	}
	list.WriteString("]}")
	return list.Bytes()
}
