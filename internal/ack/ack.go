package ack

import (
	"sync"
)

// Ack tells a waiter when every finding it was attached to is stored.
type Ack struct {
	mu        sync.Mutex
	remaining int
	err       error
	done      chan struct{}
}

// New returns an Ack that waits for n findings; with n = 0 it is done.
func New(n int) *Ack {
	a := &Ack{remaining: n, done: make(chan struct{})}
	if n <= 0 {
		close(a.done)
	}
	return a
}

// Done is closed once every finding is settled.
func (a *Ack) Done() <-chan struct{} { return a.done }

// Err is the first failure among the settled findings, nil when all were
// stored. Read it once Done is closed.
func (a *Ack) Err() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

// Settle marks one finding stored (err nil) or not storable (a write that
// failed every retry and was dead-lettered). Settling more findings than
// the Ack waits for is harmless.
func (a *Ack) Settle(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.remaining <= 0 {
		return
	}
	if err != nil && a.err == nil {
		a.err = err
	}
	a.remaining--
	if a.remaining == 0 {
		close(a.done)
	}
}
