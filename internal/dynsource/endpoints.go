package dynsource

import (
	"net/http"
	"sync"

	"k8s.io/apimachinery/pkg/types"

	"github.com/kube-zen/zen-watcher/internal/webhook"
)

// PathPattern is where the webhook sources are served, as a ServeMux
// pattern; the path comes from the ZenSource's identity, so two sources
// never collide.
const PathPattern = "/api/v1/sources/{namespace}/{name}"

// EndpointPath is the endpoint of the ZenSource key.
func EndpointPath(key types.NamespacedName) string {
	return "/api/v1/sources/" + key.Namespace + "/" + key.Name
}

// Problem reasons of the routing itself.
const (
	reasonNotFound = "source-not-found"
	reasonNotReady = "source-not-ready"
)

// route is what a source's path leads to: its handler, or why it is not
// served (notReady, the Ready reason).
type route struct {
	handler  *webhook.Handler
	notReady string
}

// Endpoints routes the webhook sources to their handlers; the controller
// adds, replaces and removes them as ZenSources change.
type Endpoints struct {
	metrics *Metrics

	mu     sync.RWMutex
	routes map[types.NamespacedName]route
}

// NewEndpoints returns an empty router counting into m.
func NewEndpoints(m *Metrics) *Endpoints {
	return &Endpoints{metrics: m, routes: map[types.NamespacedName]route{}}
}

// Register mounts the router on mux for every method: the handler, not the
// mux, answers a wrong method, with problem details.
func (e *Endpoints) Register(mux *http.ServeMux) { mux.Handle(PathPattern, e) }

// Paths lists the path pattern served.
func (e *Endpoints) Paths() []string { return []string{PathPattern} }

// ServeHTTP answers 404 for a source that does not exist (or is not a
// webhook), 503 for one that is not ready, and otherwise hands the request
// to the source's own handler.
func (e *Endpoints) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := types.NamespacedName{Namespace: r.PathValue("namespace"), Name: r.PathValue("name")}
	e.mu.RLock()
	rt, ok := e.routes[key]
	e.mu.RUnlock()
	switch {
	case !ok:
		webhook.WriteProblem(w, http.StatusNotFound, reasonNotFound, "no webhook ZenSource "+key.Namespace+"/"+key.Name+" exists")
		return
	case rt.handler == nil:
		// The condition's message stays in the ZenSource's status, for
		// those who may read it: it can name Secrets and expressions.
		w.Header().Set("Retry-After", "5")
		e.metrics.answer(key, http.StatusServiceUnavailable)
		webhook.WriteProblem(w, http.StatusServiceUnavailable, reasonNotReady,
			"ZenSource "+key.Namespace+"/"+key.Name+" is not ready ("+rt.notReady+"); its status says why")
		return
	}
	sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
	rt.handler.ServeHTTP(sw, r)
	e.metrics.answer(key, sw.code)
}

// set routes key to h, or, with h nil, answers 503 with reason; it returns
// the handler it replaces, for the caller to Remove once no request can
// reach it.
func (e *Endpoints) set(key types.NamespacedName, h *webhook.Handler, reason string) *webhook.Handler {
	e.mu.Lock()
	defer e.mu.Unlock()
	old := e.routes[key].handler
	e.routes[key] = route{handler: h, notReady: reason}
	return old
}

// remove stops routing key and returns its handler, if any.
func (e *Endpoints) remove(key types.NamespacedName) *webhook.Handler {
	e.mu.Lock()
	defer e.mu.Unlock()
	old := e.routes[key].handler
	delete(e.routes, key)
	return old
}

// statusWriter remembers the status code answered.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
