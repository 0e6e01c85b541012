package server

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kube-zen/zen-watcher/api"
	"github.com/kube-zen/zen-watcher/internal/health"
)

// ReadinessSource reports the outcome of every readiness check.
type ReadinessSource interface {
	Results() []health.Result
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
	// Sources, when set, mounts the ZenSource webhooks.
	Sources Mounter
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
	for _, m := range []Mounter{opts.Webhooks, opts.Sources} {
		if m == nil {
			continue
		}
		m.Register(mux.ServeMux)
		for _, p := range m.Paths() {
			mux.routes = append(mux.routes, http.MethodPost+" "+p)
		}
	}
	return mux
}

// readinessBody is the JSON answer of /ready: what is still missing, and
// what is degraded, by check name.
type readinessBody struct {
	Status   string            `json:"status"`
	Missing  map[string]string `json:"missing,omitempty"`
	Degraded map[string]string `json:"degraded,omitempty"`
}

// readyHandler answers JSON, or with ?verbose one line per check in the
// form of kube-apiserver's /readyz?verbose, so that people and scripts that
// know that form can read it.
func readyHandler(r ReadinessSource) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		results := r.Results()
		body := readinessBody{Status: "ready"}
		code := http.StatusOK
		for _, res := range results {
			switch {
			case res.Err == nil:
			case res.Passed():
				if body.Degraded == nil {
					body.Degraded = map[string]string{}
				}
				body.Degraded[res.Name] = res.Err.Error()
			default:
				if body.Missing == nil {
					body.Missing = map[string]string{}
				}
				body.Missing[res.Name] = res.Err.Error()
				body.Status, code = "not ready", http.StatusServiceUnavailable
			}
		}
		if _, verbose := req.URL.Query()["verbose"]; verbose {
			writeVerbose(w, code, results)
			return
		}
		writeJSON(w, code, body)
	})
}

// writeVerbose prints "[+]name ok", "[+]name degraded: reason" or
// "[-]name failed: reason" per check, then the verdict.
func writeVerbose(w http.ResponseWriter, code int, results []health.Result) {
	var b strings.Builder
	for _, res := range results {
		switch {
		case res.Err == nil:
			fmt.Fprintf(&b, "[+]%s ok\n", res.Name)
		case res.Passed():
			fmt.Fprintf(&b, "[+]%s degraded: %s\n", res.Name, oneLine(res.Err.Error()))
		default:
			fmt.Fprintf(&b, "[-]%s failed: %s\n", res.Name, oneLine(res.Err.Error()))
		}
	}
	if code == http.StatusOK {
		b.WriteString("ready check passed\n")
	} else {
		b.WriteString("ready check failed\n")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, b.String())
}

// oneLine keeps a reason on its line, whatever the error said.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

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
