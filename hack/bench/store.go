package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/app"
	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/eventindex"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// storeResult is what the store phase measured.
type storeResult struct {
	raw, stored      float64 // events per second
	writesPerNew     float64 // API requests per new finding
	patchesPerFlush  float64 // status patches per event per flush interval
	patchesPerRepeat float64
	repeats, patches int
	flushes          float64
	uniqueN          int
}

// measureStore times n plain creates of the bench's events and n unique
// findings through zen-watcher's pipeline and writer until each is stored
// with its count, both with the same client settings (qps, burst, the
// daemon's WRITE_WORKERS). Then it sends repeats of up to 500 of those
// events for three flush intervals and counts the status patches they
// cost.
func measureStore(ctx context.Context, c *cluster, n int, qps float64, burst int) (storeResult, error) {
	cfg, err := config.Load(func(string) (string, bool) { return "", false })
	if err != nil {
		return storeResult{}, err
	}
	cfg.APIQPS, cfg.APIBurst = qps, burst
	res := storeResult{uniqueN: n}
	raw, err := rawClient(c.rest, qps, burst)
	if err != nil {
		return res, err
	}
	// A discarded warm-up first: a cold API server is several times
	// slower, and neither side should pay for that.
	warm, err := c.namespace(ctx, "bench-warm")
	if err != nil {
		return res, err
	}
	if _, err := createEvents(ctx, raw, warm, 0, n/2, cfg.WriteWorkers); err != nil {
		return res, err
	}
	nsRaw, err := c.namespace(ctx, "bench-raw")
	if err != nil {
		return res, err
	}
	ns, err := c.namespace(ctx, "bench-pipeline")
	if err != nil {
		return res, err
	}
	p, err := startPipeline(ctx, c.rest, cfg)
	if err != nil {
		return res, err
	}
	// Two halves in the order raw, pipeline, pipeline, raw, so that a
	// drift in the shared machine's load, or the API server still busy
	// with what the side before it wrote, falls on both sides alike. Each
	// side starts with a full token bucket.
	at := time.Now().Truncate(time.Second)
	var rawTime, pipeTime time.Duration
	rawHalf := func(from, to int) error {
		time.Sleep(time.Second)
		start := time.Now()
		_, err := createEvents(ctx, raw, nsRaw, from, to, cfg.WriteWorkers)
		rawTime += time.Since(start)
		return err
	}
	pipeHalf := func(from, to int) error {
		time.Sleep(time.Second)
		start := time.Now()
		if err := submitRange(ctx, p, ns, from, to, cfg.WriteWorkers, at); err != nil {
			return err
		}
		// Stored with its count: every create done (each carries count 1).
		for p.requests("create") < float64(to) && time.Since(start) < 5*time.Minute {
			time.Sleep(2 * time.Millisecond)
		}
		pipeTime += time.Since(start)
		return nil
	}
	for _, step := range []func() error{
		func() error { return rawHalf(0, n/2) }, func() error { return pipeHalf(0, n/2) },
		func() error { return pipeHalf(n/2, n) }, func() error { return rawHalf(n/2, n) },
	} {
		if err := step(); err != nil {
			p.stop()
			return res, err
		}
	}
	res.raw, res.stored = float64(n)/rawTime.Seconds(), float64(n)/pipeTime.Seconds()
	res.writesPerNew = (p.requests("create") + p.requests("patch_status") + p.requests("get")) / float64(n)

	// Repeats: keys events of the run once per round, rounds 200ms apart,
	// for three flush intervals.
	keys := min(n, 500)
	before := p.requests("patch_status")
	rounds := int(3 * cfg.FlushInterval / (200 * time.Millisecond))
	repeatStart := time.Now()
	for r := range rounds {
		batch := make([]finding.Finding, 0, keys)
		for i := range keys {
			batch = append(batch, synthetic(ns, i, at.Add(time.Duration(r+1)*time.Second)))
		}
		if err := p.events.Pipeline.Submit(ctx, batch...); err != nil {
			p.stop()
			return res, fmt.Errorf("submitting repeats: %w", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.stop() // the last flush and the drain
	res.repeats, res.patches = rounds*keys, int(p.requests("patch_status")-before)
	res.flushes = float64(time.Since(repeatStart)) / float64(cfg.FlushInterval)
	res.patchesPerRepeat = float64(res.patches) / float64(res.repeats)
	res.patchesPerFlush = float64(res.patches) / float64(keys) / res.flushes
	var list zenv1.ZenAgentEventList
	if err := c.client.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return res, err
	}
	repeated := map[string]bool{}
	for i := range keys {
		repeated[finding.ObjectName("bench", synthetic(ns, i, at).DedupKey, 0)] = true
	}
	for _, e := range list.Items {
		want := int64(1)
		if repeated[e.Name] {
			want = int64(rounds + 1)
		}
		if e.Status.Count != want {
			return res, fmt.Errorf("%s counts %d occurrences, want %d", e.Name, e.Status.Count, want)
		}
	}
	if len(list.Items) != n {
		return res, fmt.Errorf("%d events stored, want %d", len(list.Items), n)
	}
	return res, nil
}

// submitRange submits findings from..to-1 from workers goroutines.
func submitRange(ctx context.Context, p *pipe, ns string, from, to, workers int, at time.Time) error {
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := from + w; i < to; i += workers {
				if err := p.events.Pipeline.Submit(ctx, synthetic(ns, i, at)); err != nil {
					errs <- fmt.Errorf("submitting: %w", err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// rawClient is a plain controller-runtime client with the given limits.
func rawClient(base *rest.Config, qps float64, burst int) (client.Client, error) {
	rc := rest.CopyConfig(base)
	rc.QPS, rc.Burst = float32(qps), burst
	scheme := runtime.NewScheme()
	_ = zenv1.AddToScheme(scheme)
	return client.New(rc, client.Options{Scheme: scheme})
}

// pipe is zen-watcher's write side running in this process, with its own
// event index, as the daemon wires it.
type pipe struct {
	events *app.Events
	reg    *prometheus.Registry
	stop   func()
}

func startPipeline(ctx context.Context, rc *rest.Config, cfg config.Config) (*pipe, error) {
	reg := prometheus.NewRegistry()
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	meta, err := metadata.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	index := eventindex.New(meta, 0)
	indexDone := make(chan struct{})
	go func() { index.Run(ctx); close(indexDone) }()
	if !cache.WaitForCacheSync(ctx.Done(), index.HasSynced) {
		cancel()
		<-indexDone
		return nil, fmt.Errorf("the event index did not sync")
	}
	ev, err := app.NewEvents(cfg, app.ClientConfig(rc, cfg, nil), index, reg, log)
	if err != nil {
		cancel()
		<-indexDone
		return nil, err
	}
	runDone := make(chan struct{})
	drain, stopDraining := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	go func() { ev.Run(ctx, drain, cfg.FlushInterval, log); close(runDone) }()
	return &pipe{events: ev, reg: reg, stop: sync.OnceFunc(func() {
		cancel()
		<-runDone
		<-indexDone
		stopDraining()
	})}, nil
}

// requests counts the writer's API requests of one operation.
func (p *pipe) requests(operation string) float64 {
	mfs, err := p.reg.Gather()
	if err != nil {
		return 0
	}
	byName := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		byName[mf.GetName()] = mf
	}
	return sum(byName, "zen_watcher_api_write_duration_seconds", map[string]string{"operation": operation})
}
