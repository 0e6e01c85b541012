package webhook

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/store"
)

// Pipeline is what the intake feeds; *pipeline.Pipeline is one. Handlers
// Prepare findings themselves, in parallel, and TryRecord them when that
// needs no wait; the drainers Record what had to be buffered.
type Pipeline interface {
	Prepare(ctx context.Context, findings []finding.Finding) []finding.Finding
	TryRecord(findings []finding.Finding) error
	Record(ctx context.Context, findings []finding.Finding) error
}

// Intake serves the webhook endpoints and drains their buffers into the
// pipeline.
type Intake struct {
	handlers []*handler
	// running is set once Run starts: the app starts it when the event
	// index has synced, and until then every stored event would look new,
	// so findings wait in the buffers.
	running  atomic.Bool
	pipeline Pipeline
	metrics  *Metrics
	log      *slog.Logger
}

// Options are what every endpoint shares.
type Options struct {
	Auth Authenticator
	// IdempotencyTTL is how long the answer to a request with an
	// X-Request-Id is remembered.
	IdempotencyTTL time.Duration
	// ClientLimit limits each client address before authentication, and
	// IdentityLimit each authenticated identity per endpoint after it;
	// nil limits nothing.
	ClientLimit, IdentityLimit *Limiter
	// Clients tells a request's client address, through trusted proxies.
	Clients ClientAddress
	// Inflight bounds the body bytes held by every endpoint's requests at
	// once; nil bounds nothing.
	Inflight *Budget
}

// maxIdempotent bounds the remembered answers: at most maxRemembered
// bytes each, so the cache stays within tens of MiB at worst.
const maxIdempotent = 10_000

// New builds the intake; mount it with Register, start it with Run.
func New(endpoints []Endpoint, opts Options, p Pipeline, reg prometheus.Registerer, log *slog.Logger) *Intake {
	in := &Intake{pipeline: p, metrics: NewMetrics(reg), log: log}
	in.metrics.registerBudget(opts.Inflight)
	idem := newIdempotency(opts.IdempotencyTTL, maxIdempotent)
	refusals := newRefusalLog(log, time.Now)
	for _, ep := range endpoints {
		auth := opts.Auth
		if ep.Auth != nil {
			auth = ep.Auth
		}
		h := &handler{ep: ep, pipeline: p, running: &in.running, idem: idem, limits: opts, buffer: NewBuffer(ep.BufferSize), auth: auth, metrics: in.metrics.forEndpoint(ep.Name), refusals: refusals, now: time.Now}
		in.metrics.registerBuffer(ep.Name, h.buffer)
		in.handlers = append(in.handlers, h)
	}
	return in
}

// Register mounts every endpoint on mux. Each path takes every method, so
// that the endpoint, not the mux, answers a wrong one with problem details.
func (in *Intake) Register(mux *http.ServeMux) {
	for _, h := range in.handlers {
		mux.Handle(h.ep.Path, h)
	}
}

// Paths lists the endpoints' paths.
func (in *Intake) Paths() []string {
	paths := make([]string, len(in.handlers))
	for i, h := range in.handlers {
		paths[i] = h.ep.Path
	}
	return paths
}

// Run submits what the endpoints accept until Close has been called and
// every buffer is empty. ctx bounds the submits themselves: once it ends,
// what is still buffered is counted as dropped (reason shutdown) and logged.
func (in *Intake) Run(ctx context.Context) {
	in.running.Store(true)
	var wg sync.WaitGroup
	for _, h := range in.handlers {
		wg.Go(func() {
			h.buffer.Drain(ctx, func(ctx context.Context, findings []finding.Finding) {
				err := in.pipeline.Record(ctx, findings)
				switch {
				case errors.Is(err, store.ErrClosed):
					in.metrics.dropped.WithLabelValues(h.ep.Name, dropShutdown).Add(float64(len(findings)))
					in.log.Error("accepted webhook findings lost: the pipeline closed first", "endpoint", h.ep.Name, "findings", len(findings))
				case err != nil:
					// Recorded, not yet queued: the final flush writes them
					// if the writer still can.
					in.log.Warn("webhook findings recorded but not queued before the shutdown deadline", "endpoint", h.ep.Name,
						"findings", len(findings), "error", err.Error())
				}
			})
		})
	}
	wg.Wait()
}

// Close stops intake: call it once the HTTP server no longer runs
// handlers. Later requests get 503; Run returns once the buffers drain.
func (in *Intake) Close() {
	for _, h := range in.handlers {
		h.buffer.Close()
	}
}
