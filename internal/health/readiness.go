// Package health tracks whether the daemon is ready to do its job. Each
// component owns a named check and reports it; the HTTP server reads the
// result. Checks are pushed (Set), or read from memory when asked (Poll);
// neither ever calls the API server, so a readiness probe never waits on it.
package health

import (
	"errors"
	"sync"
)

// Readiness is an ordered set of named checks, all of which must pass.
type Readiness struct {
	mu     sync.RWMutex
	order  []string
	pushed map[string]error
	polled map[string]func() error
}

// Result is one check's outcome: Err is nil when it passes.
type Result struct {
	Name string
	Err  error
}

// Passed reports whether the check lets the replica be ready: it holds, or
// it failed in a way that waiting will not fix (see Degraded).
func (r Result) Passed() bool { return r.Err == nil || IsDegraded(r.Err) }

// NewReadiness starts with each named check failing as "not checked yet".
func NewReadiness(checks ...string) *Readiness {
	r := &Readiness{pushed: map[string]error{}, polled: map[string]func() error{}}
	for _, c := range checks {
		r.Set(c, errors.New("not checked yet"))
	}
	return r
}

// Set records the state of one check, adding it if new: it passes when err
// is nil, otherwise it fails with err's message as the reason.
func (r *Readiness) Set(name string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.add(name)
	r.pushed[name] = err
}

// add appends name to the order the first time it is seen; the caller
// holds r.mu.
func (r *Readiness) add(name string) {
	_, pushed := r.pushed[name]
	_, polled := r.polled[name]
	if !pushed && !polled {
		r.order = append(r.order, name)
	}
}

// Poll adds a check whose state is check's answer each time readiness is
// read; it replaces what Set said of the same name. check must answer from
// memory, quickly.
func (r *Readiness) Poll(name string, check func() error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.add(name)
	r.polled[name] = check
}

// Results returns every check's outcome, in the order they were added.
func (r *Readiness) Results() []Result {
	r.mu.RLock()
	out := make([]Result, len(r.order))
	polled := make([]func() error, len(r.order))
	for i, name := range r.order {
		out[i] = Result{Name: name, Err: r.pushed[name]}
		polled[i] = r.polled[name]
	}
	r.mu.RUnlock()
	for i, check := range polled {
		if check != nil {
			out[i].Err = check()
		}
	}
	return out
}

// Missing returns each failing check with its reason; empty means ready.
// Degraded checks are not missing.
func (r *Readiness) Missing() map[string]string {
	missing := map[string]string{}
	for _, res := range r.Results() {
		if !res.Passed() {
			missing[res.Name] = res.Err.Error()
		}
	}
	return missing
}

// degraded marks an error that does not hold readiness down.
type degraded struct{ err error }

func (d degraded) Error() string { return d.err.Error() }
func (d degraded) Unwrap() error { return d.err }

// Degraded marks err as a failure that waiting will not fix, such as a
// source the daemon is forbidden to read: the replica is ready without it,
// and says so. Nil stays nil.
func Degraded(err error) error {
	if err == nil {
		return nil
	}
	return degraded{err}
}

// IsDegraded reports whether err was marked by Degraded.
func IsDegraded(err error) bool {
	var d degraded
	return errors.As(err, &d)
}
