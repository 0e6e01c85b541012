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

// measureStore times n plain creates of the bench's events, then n unique
// findings through zen-watcher's pipeline and writer until each is stored
// with its count, both with the same client settings (qps, burst, the
// daemon's WRITE_WORKERS). Then it sends repeats of repeatKeys events for a
// few flush intervals and counts the status patches they cost.
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
	time.Sleep(time.Second) // both sides start with a full token bucket
	if res.raw, err = createEvents(ctx, raw, nsRaw, 0, n, cfg.WriteWorkers); err != nil {
		return res, err
	}
	time.Sleep(time.Second)

	ns, err := c.namespace(ctx, "bench-pipeline")
	if err != nil {
		return res, err
	}
	p, err := startPipeline(ctx, c.rest, cfg)
	if err != nil {
		return res, err
	}
	at := time.Now().Truncate(time.Second)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, cfg.WriteWorkers)
	for w := range cfg.WriteWorkers {
		wg.Go(func() {
			for i := w; i < n; i += cfg.WriteWorkers {
				if err := p.events.Pipeline.Submit(ctx, synthetic(ns, i, at)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		p.stop()
		return res, fmt.Errorf("submitting: %w", err)
	}
	// Stored with its count: every create done (each carries count 1).
	for p.requests("create") < float64(n) && time.Since(start) < 5*time.Minute {
		time.Sleep(2 * time.Millisecond)
	}
	res.stored = float64(n) / time.Since(start).Seconds()
	res.writesPerNew = (p.requests("create") + p.requests("patch_status") + p.requests("get")) / float64(n)

	// Repeats: every event of the run once per round, rounds 100ms apart,
	// for four flush intervals.
	before := p.requests("patch_status")
	rounds := int(4 * cfg.FlushInterval / (100 * time.Millisecond))
	repeatStart := time.Now()
	for r := range rounds {
		batch := make([]finding.Finding, 0, n)
		for i := range n {
			batch = append(batch, synthetic(ns, i, at.Add(time.Duration(r+1)*time.Second)))
		}
		if err := p.events.Pipeline.Submit(ctx, batch...); err != nil {
			p.stop()
			return res, fmt.Errorf("submitting repeats: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.stop() // the last flush and the drain
	res.repeats, res.patches = rounds*n, int(p.requests("patch_status")-before)
	res.flushes = float64(time.Since(repeatStart)) / float64(cfg.FlushInterval)
	res.patchesPerRepeat = float64(res.patches) / float64(res.repeats)
	res.patchesPerFlush = float64(res.patches) / float64(n) / res.flushes
	var list zenv1.ZenAgentEventList
	if err := c.client.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return res, err
	}
	for _, e := range list.Items {
		if e.Status.Count != int64(rounds+1) {
			return res, fmt.Errorf("%s counts %d occurrences, want %d", e.Name, e.Status.Count, rounds+1)
		}
	}
	if len(list.Items) != n {
		return res, fmt.Errorf("%d events stored, want %d", len(list.Items), n)
	}
	return res, nil
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
