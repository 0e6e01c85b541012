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
// pipeline. Its endpoints are fixed when it is built (Falco, audit), or
// added and removed while it serves (Add: the dynamic sources).
type Intake struct {
	handlers []*handler
	// running is set once Run starts: the app starts it when the event
	// index has synced, and until then every stored event would look new,
	// so findings wait in the buffers.
	running  atomic.Bool
	pipeline Pipeline
	metrics  *Metrics
	log      *slog.Logger
	opts     Options
	idem     *idempotency
	refusals *refusalLog

	mu       sync.Mutex
	runCtx   context.Context // Run's; nil until it starts
	drainers sync.WaitGroup
	added    map[*handler]struct{} // dynamic handlers not yet removed; Close closes them
	closed   bool
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
	in := &Intake{pipeline: p, metrics: NewMetrics(reg), log: log, opts: opts,
		idem: newIdempotency(opts.IdempotencyTTL, maxIdempotent), refusals: newRefusalLog(log, time.Now), added: map[*handler]struct{}{}}
	in.metrics.registerBudget(opts.Inflight)
	for _, ep := range endpoints {
		h := in.handler(ep)
		in.metrics.registerBuffer(h.metrics.name, h.buffer)
		in.handlers = append(in.handlers, h)
	}
	return in
}

// handler builds ep's handler on the intake's shared parts: idempotency
// cache, client limits, in-flight budget, metrics and refusal log.
func (in *Intake) handler(ep Endpoint) *handler {
	auth := in.opts.Auth
	if ep.Auth != nil {
		auth = ep.Auth
	}
	label := ep.Label
	if label == "" {
		label = ep.Name
	}
	return &handler{ep: ep, pipeline: in.pipeline, running: &in.running, idem: in.idem, limits: in.opts, buffer: NewBuffer(ep.BufferSize),
		auth: auth, metrics: in.metrics.forEndpoint(label), refusals: in.refusals, now: time.Now}
}

// Handler is an endpoint added while the intake serves. It serves HTTP
// until Remove; its buffer drains into the pipeline like the fixed
// endpoints' do.
type Handler struct {
	h  *handler
	in *Intake
}

// ServeHTTP serves the endpoint.
func (d *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { d.h.ServeHTTP(w, r) }

// BufferDepth is the number of findings waiting in the endpoint's buffer.
func (d *Handler) BufferDepth() int { return d.h.buffer.Depth() }

// Remove stops the endpoint taking findings (later requests get 503) and
// lets its drainer submit what it holds, then end. Callers stop routing
// to it first.
func (d *Handler) Remove() {
	d.h.buffer.Close()
	d.in.mu.Lock()
	delete(d.in.added, d.h)
	d.in.mu.Unlock()
}

// Add builds an endpoint while the intake serves, with its own
// credentials, limit and buffer and the intake's shared parts; mount it
// with its own routing. Its buffer drains from when Run starts, or at
// once when it runs.
func (in *Intake) Add(ep Endpoint) *Handler {
	h := in.handler(ep)
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		h.buffer.Close() // shutting down: refuse, with 503
		return &Handler{h: h, in: in}
	}
	in.added[h] = struct{}{}
	if in.runCtx != nil {
		in.drain(in.runCtx, h)
	}
	return &Handler{h: h, in: in}
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
	in.mu.Lock()
	in.runCtx = ctx
	for _, h := range in.handlers {
		in.drain(ctx, h)
	}
	for h := range in.added {
		in.drain(ctx, h)
	}
	in.mu.Unlock()
	in.drainers.Wait()
}

// drain runs h's drainer until its buffer is closed and empty. Callers
// hold in.mu, and call it before Close: the fixed endpoints' drainers keep
// the wait group above zero until then, so Run's Wait never races an Add.
func (in *Intake) drain(ctx context.Context, h *handler) {
	in.drainers.Go(func() {
		h.buffer.Drain(ctx, func(ctx context.Context, findings []finding.Finding) {
			err := in.pipeline.Record(ctx, findings)
			switch {
			case errors.Is(err, store.ErrClosed):
				h.metrics.dropped.WithLabelValues(h.metrics.name, dropShutdown).Add(float64(len(findings)))
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

// Close stops intake: call it once the HTTP server no longer runs
// handlers. Later requests get 503; Run returns once the buffers drain.
func (in *Intake) Close() {
	in.mu.Lock()
	in.closed = true
	added := make([]*handler, 0, len(in.added))
	for h := range in.added {
		added = append(added, h)
	}
	in.mu.Unlock()
	for _, h := range in.handlers {
		h.buffer.Close()
	}
	for _, h := range added {
		h.buffer.Close()
	}
}
