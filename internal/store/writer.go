package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kube-zen/zen-watcher/internal/ack"
)

// ErrClosed is returned by Enqueue after Close.
var ErrClosed = errors.New("writer is closed")

// Options configure a Writer.
type Options struct {
	// EventNamespace receives events whose own namespace no longer exists.
	EventNamespace string
	QueueSize      int
	Workers        int
	DLQSize        int
	// Backoff between attempts of one write; Steps is the number of attempts.
	// The default rides out about two minutes of API server absence before a
	// write is dead-lettered.
	Backoff wait.Backoff
}

// DefaultBackoff starts at 200ms and doubles, with jitter, up to 30s, for 10 attempts.
var DefaultBackoff = wait.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Jitter: 0.5, Cap: 30 * time.Second, Steps: 10}

// Writer runs upserts against the API server from a bounded queue.
type Writer struct {
	client  client.Client
	opts    Options
	queue   chan *Op
	dlq     *deadLetters
	metrics *Metrics
	log     *slog.Logger
	now     func() time.Time

	mu     sync.RWMutex // guards closed against sends on a closed queue
	closed bool
}

// NewWriter builds a writer; call Run to start its workers.
func NewWriter(c client.Client, opts Options, reg prometheus.Registerer, log *slog.Logger) *Writer {
	if opts.Backoff.Steps == 0 {
		opts.Backoff = DefaultBackoff
	}
	w := &Writer{client: c, opts: opts, queue: make(chan *Op, opts.QueueSize), log: log, now: time.Now}
	w.dlq = &deadLetters{max: opts.DLQSize}
	w.metrics = newMetrics(reg, func() float64 { return float64(len(w.queue)) }, func() float64 { return float64(w.dlq.size()) }, opts.QueueSize)
	w.dlq.dropped = w.metrics.DLQDropped.Inc
	return w
}

// Enqueue adds op to the queue, waiting while it is full: that wait is the
// backpressure sources feel. It fails only when ctx ends or the writer is
// closed; with a ctx that has ended already, it adds op only if there is
// room.
func (w *Writer) Enqueue(ctx context.Context, op *Op) error {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return ErrClosed
	}
	select {
	case w.queue <- op:
		return nil
	default:
	}
	select {
	case w.queue <- op:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("write queue full: %w", context.Cause(ctx))
	}
}

// Saturated reports whether the queue is full, so that a caller that must
// not wait can refuse work instead.
func (w *Writer) Saturated() bool { return len(w.queue) == cap(w.queue) }

// Close stops intake; Run returns once the queue is drained.
func (w *Writer) Close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.closed = true
		close(w.queue)
	}
}

// Run processes the queue with the configured number of workers until Close
// has been called and the queue is empty. Cancelling ctx abandons retries
// still waiting: those writes go to the dead-letter queue and are logged.
func (w *Writer) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range w.opts.Workers {
		wg.Go(func() {
			for op := range w.queue {
				w.process(ctx, op)
			}
		})
	}
	wg.Wait()
	if items := w.dlq.list(); len(items) > 0 {
		// The dead-letter queue lives in memory: what it holds now is lost
		// with the process. Senders in "stored" mode were answered 503.
		var occurrences int64
		for _, dl := range items {
			occurrences += dl.Count
		}
		w.metrics.LostAtExit.WithLabelValues(lostDeadLetter).Add(float64(len(items)))
		w.log.Error("exiting with writes in the dead-letter queue: they are lost", "count", len(items), "occurrences", occurrences)
	}
}

// Stages of zen_watcher_lost_at_exit_total.
const (
	lostDeadLetter = "dead-letter"
	lostUnwritten  = "unwritten"
)

// CountUnwritten records writes the pipeline could not hand to the queue
// before the process stopped.
func (w *Writer) CountUnwritten(writes int) {
	w.metrics.LostAtExit.WithLabelValues(lostUnwritten).Add(float64(writes))
}

// process runs op, and any follow-up it asks for, to completion.
func (w *Writer) process(ctx context.Context, op *Op) {
	for op != nil {
		res, err := w.withRetries(ctx, op)
		var failed []*ack.Ack
		if err != nil {
			failed, op.Acks = op.Acks, nil
			res.Err = err
		}
		var next *Op
		if op.Done != nil {
			next = op.Done(res)
		}
		if err != nil {
			// Dead-lettered only once Done has read the op and nothing here
			// touches it again: a replay may take it from the queue at once
			// and write to it.
			w.metrics.DeadLettered.Inc()
			w.log.Error("write failed every retry; dead-lettered", "namespace", op.Event.Namespace, "name", op.Event.Name,
				"attempts", op.attempts, "error", err.Error())
			w.dlq.add(op, err, w.now())
		}
		// A dead-lettered write fails its waiters now: a replay may store it
		// later, but a sender that retries is the surer path.
		settle(failed, res.Err)
		if err == nil {
			settle(op.Acks, nil)
			op.Acks = nil
		}
		op = next
	}
}

func (w *Writer) withRetries(ctx context.Context, op *Op) (Result, error) {
	backoff := w.opts.Backoff
	for {
		op.attempts++
		res, err := w.apply(ctx, op)
		if err == nil || !retryable(err) || op.attempts >= w.opts.Backoff.Steps || ctx.Err() != nil {
			return res, err
		}
		w.metrics.Retries.WithLabelValues(operationOf(err)).Inc()
		select {
		case <-ctx.Done():
			return res, fmt.Errorf("%w (abandoned at shutdown)", err)
		case <-time.After(backoff.Step()):
		}
	}
}

// DeadLetters lists the writes in the dead-letter queue, oldest first.
func (w *Writer) DeadLetters() []DeadLetter { return w.dlq.list() }

// Replay moves every dead letter back into the queue and returns how many
// it moved. Entries that do not fit before ctx ends stay dead-lettered.
func (w *Writer) Replay(ctx context.Context) (int, error) {
	items := w.dlq.take()
	for i, dl := range items {
		op := dl.op
		op.attempts, op.Hint = 0, nil // the cached status is stale by now
		if err := w.Enqueue(ctx, op); err != nil {
			w.dlq.putBack(items[i:])
			return i, err
		}
	}
	return len(items), nil
}
