package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/pipeline"
	"github.com/kube-zen/zen-watcher/internal/store"
)

// Events is the write side of the daemon: the pipeline sources submit to,
// and the writer behind it.
type Events struct {
	Pipeline   *pipeline.Pipeline
	Aggregator *pipeline.Aggregator
	Writer     *store.Writer
	Client     client.Client
}

// NewEvents assembles normalize → filter → aggregate → writer. An invalid
// filter expression is a configuration error.
func NewEvents(cfg config.Config, rc *rest.Config, stored pipeline.StoredEvents, reg prometheus.Registerer, log *slog.Logger) (*Events, error) {
	m := pipeline.NewMetrics(reg)
	filter, err := pipeline.NewFilterStage(cfg.BehaviorMode, cfg.FilterExpression, m)
	if err != nil {
		return nil, &config.Error{Problems: []error{&config.VarError{Name: "FILTER_EXPRESSION", Value: cfg.FilterExpression, Allowed: err.Error()}}}
	}
	scheme := runtime.NewScheme()
	if err := zenv1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	c, err := client.New(rc, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("building API client: %w", err)
	}
	w := store.NewWriter(c, store.Options{
		EventNamespace: cfg.EventNamespace, QueueSize: cfg.WriteQueueSize, Workers: cfg.WriteWorkers, DLQSize: cfg.DLQSize,
	}, reg, log)
	agg := pipeline.NewAggregator(w, stored, cfg.DedupWindow, cfg.EventNamespace, m, log)
	return &Events{
		Pipeline:   pipeline.New(agg, pipeline.NewNormalizeStage(m, time.Now), filter),
		Aggregator: agg,
		Writer:     w,
		Client:     c,
	}, nil
}

// Run flushes repeats every interval and writes until ctx ends, then drains:
// a last flush, then every queued write, until drain ends. Writes still
// retrying when drain ends are dead-lettered.
func (e *Events) Run(ctx, drain context.Context, flushInterval time.Duration, log *slog.Logger) {
	written := make(chan struct{})
	go func() { e.Writer.Run(drain); close(written) }()

	e.Aggregator.RunFlusher(ctx, flushInterval)

	if err := e.Aggregator.Close(drain); err != nil {
		log.Error("final flush incomplete", "error", err.Error())
	}
	e.Writer.Close()
	<-written
	if n, occurrences := e.Aggregator.Unwritten(); n > 0 {
		e.Writer.CountUnwritten(n)
		log.Error("exiting with writes that never reached the queue: they are lost", "count", n, "occurrences", occurrences)
	}
	log.Info("write queue drained")
}
