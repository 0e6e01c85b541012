package webhook

import (
	"context"
	"errors"
	"sync"

	"github.com/kube-zen/zen-watcher/internal/finding"
)

// Buffer is an endpoint's bounded queue between its handler and the
// pipeline. Handlers put without waiting; one drainer submits, and may
// wait on the pipeline's backpressure, while the handlers answer 503 once
// the buffer is full.
type Buffer struct {
	capacity int

	mu      sync.Mutex
	batches []batch
	depth   int // findings held, by weight
	closed  bool
	ready   chan struct{} // signalled when a batch arrives or the buffer closes
}

type batch struct {
	findings []finding.Finding
	weight   int
}

// NewBuffer holds up to capacity findings.
func NewBuffer(capacity int) *Buffer {
	return &Buffer{capacity: capacity, ready: make(chan struct{}, 1)}
}

// Errors of TryPut.
var (
	errBufferFull   = errors.New("buffer full")
	errBufferClosed = errors.New("buffer closed")
)

// TryPut queues findings, or fails with errBufferFull or errBufferClosed. A batch larger than
// the whole buffer fits only into an empty one (it weighs the capacity),
// so an oversized batch is not refused forever. A refused batch leaves no
// trace: the sender's retry is its first delivery.
func (b *Buffer) TryPut(findings []finding.Finding) error {
	w := min(len(findings), b.capacity)
	b.mu.Lock()
	switch {
	case b.closed:
		b.mu.Unlock()
		return errBufferClosed
	case b.depth+w > b.capacity:
		b.mu.Unlock()
		return errBufferFull
	}
	b.batches = append(b.batches, batch{findings: findings, weight: w})
	b.depth += w
	b.mu.Unlock()
	select {
	case b.ready <- struct{}{}:
	default:
	}
	return nil
}

// Depth is the number of findings held.
func (b *Buffer) Depth() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.depth
}

// Bypassable reports whether a handler may record directly instead: the
// buffer is open and holds nothing the findings would overtake.
func (b *Buffer) Bypassable() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.closed && b.depth == 0
}

// Capacity is the most findings the buffer holds.
func (b *Buffer) Capacity() int { return b.capacity }

// Close refuses further puts; Drain returns once what is held is submitted.
func (b *Buffer) Close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	select {
	case b.ready <- struct{}{}:
	default:
	}
}

// Drain hands the queued findings to record, in arrival order, until the
// buffer is closed and empty. Whatever has queued since the last call goes
// in one call, up to maxDrain findings, so a busy endpoint costs one
// aggregator round per drain, not one per request. Findings leave the
// buffer when taken; while record waits on the pipeline's backpressure,
// new ones queue behind it until the buffer is full and senders see 503.
// Failures are record's to count and log.
func (b *Buffer) Drain(ctx context.Context, record func(context.Context, []finding.Finding)) {
	var next []finding.Finding
	for {
		b.mu.Lock()
		if len(b.batches) == 0 {
			closed := b.closed
			b.mu.Unlock()
			if closed {
				return
			}
			<-b.ready
			continue
		}
		next = next[:0]
		for len(b.batches) > 0 && (len(next) == 0 || len(next)+len(b.batches[0].findings) <= maxDrain) {
			next = append(next, b.batches[0].findings...)
			b.depth -= b.batches[0].weight
			b.batches[0] = batch{}
			b.batches = b.batches[1:]
		}
		b.mu.Unlock()

		record(ctx, next)
		clear(next) // drop references to the findings' details
	}
}

// maxDrain bounds the findings recorded in one call.
const maxDrain = 1024
