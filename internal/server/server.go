package server

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kube-zen/zen-watcher/api"
)

// ReadinessSource reports each unmet readiness condition with its reason.
type ReadinessSource interface {
	Missing() map[string]string
}

// Options are what the server needs from the rest of the daemon.
type Options struct {
	Readiness ReadinessSource
	Gatherer  prometheus.Gatherer
	Logger    *slog.Logger
	// DLQ, when set, is served at /api/v1/dlq.
	DLQ DeadLetterQueue
	// Tools, when set, is served at /api/v1/tools.
	Tools ToolStatuses
	// Webhooks, when set, mounts the push intake's endpoints.
	Webhooks Mounter
	// Guard, when set, authenticates and authorizes the admin API, and
	// /metrics when GuardMetrics is set (METRICS_AUTH=kubernetes). The
	// daemon always sets it; unset serves them to anyone (tests only).
	Guard        Guard
	GuardMetrics bool
}

// Guard puts a handler behind a Kubernetes authorization check;
// *adminauth.Guard is one. operation names the call in its metrics.
type Guard interface {
	// Resource wants verb on resource (and subresource) of the admin API.
	Resource(operation, verb, resource, subresource string, h http.Handler) http.Handler
	// NonResource wants verb on a non-resource URL.
	NonResource(operation, verb, path string, h http.Handler) http.Handler
}

// open is the Guard of a server built without one: it lets all through.
type open struct{}

func (open) Resource(_, _, _, _ string, h http.Handler) http.Handler { return h }
func (open) NonResource(_, _, _ string, h http.Handler) http.Handler { return h }

// Mounter adds its own routes to a mux: POST endpoints at Paths, whose
// handlers answer other methods themselves.
type Mounter interface {
	Register(mux *http.ServeMux)
	Paths() []string
}

// Router is the daemon's handler; Routes lists what it serves, as
// "METHOD /path", for the tests that hold it to the OpenAPI document.
type Router struct {
	*http.ServeMux
	routes []string
}

// Routes lists the routes served.
func (r *Router) Routes() []string { return slices.Clone(r.routes) }

func (r *Router) handle(pattern string, h http.Handler) {
	r.Handle(pattern, h)
	r.routes = append(r.routes, pattern)
}

// NewHandler routes the probe, metrics and API endpoints, and the webhooks.
// The former serve only their methods; ServeMux answers others with 405 and
// an Allow header.
func NewHandler(opts Options) *Router {
	mux := &Router{ServeMux: http.NewServeMux()}
	guard := opts.Guard
	if guard == nil {
		guard = open{}
	}
	mux.handle("GET /health", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}))
	ready := readyHandler(opts.Readiness)
	mux.handle("GET /ready", ready)
	mux.handle("GET /readyz", ready)
	var metrics http.Handler = promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{
		ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelError),
		ErrorHandling:     promhttp.ContinueOnError,
		EnableOpenMetrics: true,
	})
	if opts.GuardMetrics {
		metrics = guard.NonResource("metrics", "get", "/metrics", metrics)
	}
	mux.handle("GET /metrics", metrics)
	mux.handle("GET /openapi.yaml", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(api.OpenAPI)
	}))
	if opts.DLQ != nil {
		dlqHandlers(mux, opts.DLQ, guard)
	}
	if opts.Tools != nil {
		toolsHandler(mux, opts.Tools, guard)
	}
	if opts.Webhooks != nil {
		opts.Webhooks.Register(mux.ServeMux)
		for _, p := range opts.Webhooks.Paths() {
			mux.routes = append(mux.routes, http.MethodPost+" "+p)
		}
	}
	return mux
}

// readinessBody is the JSON answer of /ready: what is still missing, by name.
type readinessBody struct {
	Status  string            `json:"status"`
	Missing map[string]string `json:"missing,omitempty"`
}

func readyHandler(r ReadinessSource) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		missing := r.Missing()
		if len(missing) > 0 {
			writeJSON(w, http.StatusServiceUnavailable, readinessBody{Status: "not ready", Missing: missing})
			return
		}
		writeJSON(w, http.StatusOK, readinessBody{Status: "ready"})
	})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body) // the client may be gone; nothing to do about it
}

// New wraps handler in an http.Server with timeouts that keep slow or
// hostile clients from holding connections open.
func New(handler http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}
