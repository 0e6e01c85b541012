// Package health tracks whether the daemon is ready to do its job. Each
// component owns a named condition and reports it; the HTTP server reads the
// result. Conditions are pushed, not polled, so a readiness probe never
// waits on the API server.
package health

import (
	"maps"
	"sync"
)

// Readiness is a set of named conditions, all of which must hold.
type Readiness struct {
	mu      sync.RWMutex
	missing map[string]string // condition name → why it does not hold yet
}

// NewReadiness starts with every named condition unmet.
func NewReadiness(conditions ...string) *Readiness {
	r := &Readiness{missing: make(map[string]string, len(conditions))}
	for _, c := range conditions {
		r.missing[c] = "not checked yet"
	}
	return r
}

// Set records the state of one condition: met when err is nil, otherwise
// unmet with err's message as the reason.
func (r *Readiness) Set(condition string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil {
		delete(r.missing, condition)
		return
	}
	r.missing[condition] = err.Error()
}

// Missing returns each unmet condition with its reason; empty means ready.
func (r *Readiness) Missing() map[string]string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return maps.Clone(r.missing)
}
