package integration

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/config"
)

// BenchmarkMetricsScrape measures GET /metrics on the daemon against the
// test API server with 100 and then 20,000 events stored: the stored-events
// gauge is kept from the index's notifications, so the two should cost the
// same. Run with:
//
//	go test -run '^$' -bench MetricsScrape -benchtime 200x ./test/integration/
func BenchmarkMetricsScrape(b *testing.B) {
	t := &testing.T{}
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "zen-scrape-"}}
	if err := k8sClient.Create(ctx, ns); err != nil {
		b.Fatal(err)
	}
	// envtest runs no namespace controller: delete the events themselves.
	defer func() {
		_ = k8sClient.DeleteAllOf(ctx, &zenv1.ZenAgentEvent{}, client.InNamespace(ns.Name))
	}()
	d := startDaemonWith(t, restConfig, func(*config.Config) {})
	defer func() { _ = d.stop() }()
	created := 0
	for _, n := range []int{100, 20_000} {
		createEvents(b, ns.Name, created, n)
		created = n
		waitStored(b, d, n)
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			for b.Loop() {
				resp, err := http.Get(d.url + "/metrics")
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}

// createEvents creates events from..to-1 in ns, 32 at a time.
func createEvents(b *testing.B, ns string, from, to int) {
	sevs := []zenv1.Severity{zenv1.SeverityCritical, zenv1.SeverityHigh, zenv1.SeverityMedium, zenv1.SeverityLow, zenv1.SeverityInfo}
	work := make(chan int)
	var wg sync.WaitGroup
	var once sync.Once
	for range 32 {
		wg.Go(func() {
			for i := range work {
				if err := k8sClient.Create(context.Background(), gcEvent(ns, "e-"+strconv.Itoa(i), sevs[i%len(sevs)], 1)); err != nil {
					once.Do(func() { b.Error(err) })
				}
			}
		})
	}
	for i := from; i < to; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
}

var storedLine = regexp.MustCompile(`(?m)^zen_watcher_stored_events\{[^}]*\} (\d+)$`)

// waitStored waits until the daemon's gauge counts at least n events.
func waitStored(b *testing.B, d *daemon, n int) {
	eventually(&testing.T{}, "index synced", func() error {
		resp, err := http.Get(d.url + "/metrics")
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		total := 0
		for _, m := range storedLine.FindAllStringSubmatch(string(body), -1) {
			v, _ := strconv.Atoi(m[1])
			total += v
		}
		if total < n {
			return fmt.Errorf("%d of %d", total, n)
		}
		return nil
	})
}
