package integration

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// BenchmarkPipelineVsRawCreates pushes N unique findings and N×10 repeats
// through the pipeline into the real API server, and times a plain create
// loop of N events with the same concurrency in the same run. It reports
// the rate at which the N events exist (created/s), the rate at which they
// are complete, counts and all (complete/s, after the drain), the raw rate,
// and both ratios. Run with:
//
//	make bench-pipeline
func BenchmarkPipelineVsRawCreates(b *testing.B) {
	const n, repeats = 1000, 10
	t := &testing.T{}
	cfg := defaultConfig(t)
	// BENCH_API_QPS lifts the client-side limit on both sides, to see where
	// the API server itself, not the limiter, is the bound.
	if v, err := strconv.ParseFloat(os.Getenv("BENCH_API_QPS"), 64); err == nil && v > 0 {
		cfg.APIQPS, cfg.APIBurst = v, int(2*v)
	}
	var rawRate, createdRate, pipeRate float64
	for b.Loop() {
		// A discarded warm-up first: a cold API server is several times
		// slower, and neither side should pay for that.
		rawCreates(b, n, cfg.WriteWorkers, cfg.APIQPS, cfg.APIBurst)
		time.Sleep(2 * time.Second) // let both sides start with a full token bucket
		rawRate = rawCreates(b, n, cfg.WriteWorkers, cfg.APIQPS, cfg.APIBurst)
		time.Sleep(2 * time.Second)

		ns := newNamespace(t)
		r := startPipeline(t, cfg)
		at := time.Now().Truncate(time.Second)
		start := time.Now()
		var g errgroup.Group
		for w := range cfg.WriteWorkers {
			g.Go(func() error {
				for rep := range repeats + 1 {
					for i := w; i < n; i += cfg.WriteWorkers {
						if err := r.Pipeline.Submit(context.Background(), synthetic(ns, i, at.Add(time.Duration(rep)*time.Second))); err != nil {
							return err
						}
					}
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
		for counterValue(t, r.Registry, "zen_watcher_events_total") < n {
			time.Sleep(5 * time.Millisecond)
		}
		createdRate = float64(n) / time.Since(start).Seconds()
		r.stop() // drains: every event created and its coalesced status written
		pipeRate = float64(n) / time.Since(start).Seconds()
		if err := countsAre(t, ns, n, repeats+1)(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(createdRate, "created/s")
	b.ReportMetric(pipeRate, "complete/s")
	b.ReportMetric(rawRate, "raw-creates/s")
	b.ReportMetric(createdRate/rawRate, "created-ratio")
	b.ReportMetric(pipeRate/rawRate, "complete-ratio")
}

// rawCreates times n plain creates from `workers` goroutines.
func rawCreates(b *testing.B, n, workers int, qps float64, burst int) float64 {
	t := &testing.T{}
	ns := newNamespace(t)
	rc := rest.CopyConfig(restConfig)
	rc.QPS, rc.Burst = float32(qps), burst
	scheme := runtime.NewScheme()
	_ = zenv1.AddToScheme(scheme)
	c, err := client.New(rc, client.Options{Scheme: scheme})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				f := synthetic(ns, i, time.Now())
				ev := &zenv1.ZenAgentEvent{Spec: zenv1.ZenAgentEventSpec{Source: f.Source, Category: f.Category, Severity: f.Severity,
					EventType: f.EventType, Resource: f.Resource, DedupKey: f.DedupKey}}
				ev.Name, ev.Namespace = finding.ObjectName(f.Source, f.DedupKey, 0), ns
				ev.Spec.DetectedAt.Time = f.DetectedAt
				if err := c.Create(context.Background(), ev); err != nil {
					panic(fmt.Sprintf("raw create: %v", err))
				}
			}
		})
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}
