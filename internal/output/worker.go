package output

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	zenfinding "github.com/kube-zen/zen-watcher/internal/finding"
)

// maxBatch bounds the deliveries handed to a notifier at once.
const maxBatch = 100

// maxRetryAfter bounds how long a Retry-After can hold an output.
const maxRetryAfter = 10 * time.Minute

// worker delivers to one output: its backlog, its goroutine, its retries
// and its status. Nothing it does waits on another output.
type worker struct {
	e    *Engine
	key  types.NamespacedName
	wake chan struct{}
	done chan struct{}
	gone atomic.Bool // the output was deleted: write nothing more

	cancel context.CancelFunc

	mu       sync.Mutex
	matcher  *Matcher
	notifier Notifier
	limiter  *rate.Limiter
	backlog  *backlog
	inflight []*item
	open     map[types.NamespacedName]bool // delivered open findings, for a Resender
	st       counters
}

// counters is what the status shows of delivery.
type counters struct {
	delivered, failed, dropped int64
	lastDelivery               *metav1.Time
	lastError                  string
	delivering                 metav1.Condition
	dirty                      bool
	written                    time.Time
	writtenMark                string
}

func newWorker(e *Engine, k types.NamespacedName, o *v1alpha1.ZenOutput, m *Matcher, n Notifier) *worker {
	w := &worker{
		e: e, key: k, wake: make(chan struct{}, 1), done: make(chan struct{}),
		backlog: newBacklog(e.opts.BacklogSize), open: map[types.NamespacedName]bool{},
		st: counters{
			delivered: o.Status.Delivered, failed: o.Status.Failed, dropped: o.Status.Dropped,
			lastDelivery: o.Status.LastDeliveryTime, lastError: o.Status.LastError, dirty: true,
			delivering: metav1.Condition{Type: v1alpha1.ConditionDelivering, Status: metav1.ConditionUnknown, Reason: v1alpha1.ReasonIdle, Message: "nothing sent yet"},
		},
	}
	w.configure(o, m, n)
	return w
}

// configure gives the worker its output's current spec.
func (w *worker) configure(o *v1alpha1.ZenOutput, m *Matcher, n Notifier) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.matcher, w.notifier, w.limiter = m, n, nil
	if rl := o.Spec.RateLimit; rl != nil && rl.PerMinute > 0 {
		w.limiter = rate.NewLimiter(rate.Limit(float64(rl.PerMinute)/60), int(rl.PerMinute))
	}
}

// offer queues one delivery if the output wants it. Called with the
// engine's lock held, so it never blocks: a full backlog drops.
func (w *worker) offer(ev *zenv1.ZenAgentEvent, t Trigger, seq uint64, prev Mark, since time.Time) {
	w.mu.Lock()
	if !w.matcher.Wants(t) || !w.matcher.Cheap(ev) {
		w.mu.Unlock()
		return
	}
	dropped := w.backlog.push(&item{key: key(ev), trigger: t, rank: max(zenfinding.Rank(ev.Spec.Severity), 0), seq: seq, prev: prev, since: since})
	if dropped != nil {
		w.st.dropped++
		w.st.dirty = true
	}
	size := w.backlog.len() + len(w.inflight)
	w.mu.Unlock()
	if dropped != nil {
		w.e.metrics.dropped.WithLabelValues(w.key.Namespace, w.key.Name).Inc()
		w.e.opts.Log.Warn("output backlog full; dropped a delivery", "output", w.key.String(), "event", dropped.key.String(), "trigger", string(dropped.trigger))
	}
	w.e.metrics.backlog.WithLabelValues(w.key.Namespace, w.key.Name).Set(float64(size))
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *worker) start(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	w.cancel = cancel
	go w.run(ctx)
}

// stop ends the worker and waits for its last status write.
func (w *worker) stop() {
	w.cancel()
	<-w.done
}

func (w *worker) wait() { <-w.done }

func (w *worker) run(ctx context.Context) {
	defer close(w.done)
	defer w.finalCheckpoint(ctx)
	tick := time.NewTicker(w.e.opts.CheckpointInterval)
	defer tick.Stop()
	var resend <-chan time.Time
	if r, ok := w.currentNotifier().(Resender); ok {
		w.rebuildOpen(ctx)
		t := time.NewTicker(r.ResendInterval())
		defer t.Stop()
		resend = t.C
	}
	for ctx.Err() == nil {
		w.mu.Lock()
		batch := w.backlog.pop(maxBatch)
		w.inflight = batch
		w.mu.Unlock()
		if len(batch) > 0 {
			w.deliver(ctx, batch, tick.C)
			continue
		}
		select {
		case <-ctx.Done():
		case <-w.wake:
		case <-tick.C:
			w.checkpoint(ctx)
		case <-resend:
			w.resend(ctx)
		}
	}
}

func (w *worker) currentNotifier() Notifier {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.notifier
}

// deliver sends one batch until the receiver accepts or refuses it for
// good, or ctx ends; the batch stays in flight, and under the watermark,
// until then.
func (w *worker) deliver(ctx context.Context, batch []*item, tick <-chan time.Time) {
	defer func() {
		w.mu.Lock()
		w.inflight = nil
		size := w.backlog.len()
		w.mu.Unlock()
		w.e.metrics.backlog.WithLabelValues(w.key.Namespace, w.key.Name).Set(float64(size))
	}()
	w.mu.Lock()
	m, n, limiter := w.matcher, w.notifier, w.limiter
	w.mu.Unlock()
	backoff := w.e.opts.Backoff
	var ds []Delivery
	var since []time.Time
	for {
		var err error
		ds, since, err = w.resolve(ctx, m, batch)
		if err == nil {
			break
		}
		w.note(err, true)
		if !w.sleep(ctx, backoff.Step(), tick) {
			return
		}
	}
	if len(ds) == 0 {
		return
	}
	if limiter != nil {
		if err := limiter.WaitN(ctx, min(len(ds), limiter.Burst())); err != nil {
			return
		}
	}
	labels := []string{w.key.Namespace, w.key.Name}
	for {
		retry, err := n.Notify(ctx, ds)
		if err == nil {
			now := w.e.opts.Now()
			for _, s := range since {
				w.e.metrics.latency.WithLabelValues(labels...).Observe(now.Sub(s).Seconds())
			}
			w.e.metrics.delivered.WithLabelValues(labels...).Add(float64(len(ds)))
			w.delivered(ds, now)
			return
		}
		if ctx.Err() != nil {
			return
		}
		if !retry {
			w.e.metrics.failed.WithLabelValues(labels...).Add(float64(len(ds)))
			w.mu.Lock()
			w.st.failed += int64(len(ds))
			w.mu.Unlock()
			w.note(fmt.Errorf("receiver refused %d findings, not retried: %w", len(ds), err), false)
			return
		}
		w.e.metrics.retries.WithLabelValues(labels...).Inc()
		w.note(err, true)
		wait := backoff.Step()
		if after, ok := RetryAfter(err); ok && after > wait {
			wait = min(after, maxRetryAfter)
		}
		if !w.sleep(ctx, wait, tick) {
			return
		}
	}
}

// resolve reads the batch's events, details included, and keeps those the
// filter passes. An event deleted since needs no delivery. An error
// reading one fails the whole batch, to be resolved again.
func (w *worker) resolve(ctx context.Context, m *Matcher, batch []*item) ([]Delivery, []time.Time, error) {
	var ds []Delivery
	var since []time.Time
	for _, it := range batch {
		var ev zenv1.ZenAgentEvent
		if err := w.e.opts.Reader.Get(ctx, it.key, &ev); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return nil, nil, fmt.Errorf("reading event %s for delivery: %w", it.key, err)
		}
		ok, err := m.Filter(ctx, &ev)
		if err != nil {
			w.e.metrics.failed.WithLabelValues(w.key.Namespace, w.key.Name).Inc()
			w.mu.Lock()
			w.st.failed++
			w.mu.Unlock()
			w.note(err, false)
			continue
		}
		if ok {
			ds = append(ds, Delivery{Event: &ev, Trigger: it.trigger})
			since = append(since, it.since)
		}
	}
	return ds, since, nil
}

// delivered records an accepted batch.
func (w *worker) delivered(ds []Delivery, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.st.delivered += int64(len(ds))
	w.st.lastDelivery = &metav1.Time{Time: now}
	w.st.lastError = ""
	w.st.delivering = metav1.Condition{Type: v1alpha1.ConditionDelivering, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonDelivered,
		Message: fmt.Sprintf("the receiver accepted %d findings", len(ds))}
	w.st.dirty = true
	if _, ok := w.notifier.(Resender); ok {
		for _, d := range ds {
			k := key(d.Event)
			if d.Trigger == TriggerResolved || d.Event.Status.State == zenv1.StateResolved {
				delete(w.open, k)
			} else {
				w.open[k] = true
			}
		}
	}
}

// note records a failure in lastError and the Delivering condition.
func (w *worker) note(err error, retrying bool) {
	msg := err.Error()
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	reason := v1alpha1.ReasonRejected
	if retrying {
		reason = v1alpha1.ReasonRetrying
	}
	w.e.opts.Log.Warn("output delivery failed", "output", w.key.String(), "retrying", retrying, "error", msg)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.st.lastError = msg
	w.st.delivering = metav1.Condition{Type: v1alpha1.ConditionDelivering, Status: metav1.ConditionFalse, Reason: reason, Message: msg}
	w.st.dirty = true
}

// sleep waits d, writing the status when it is due meanwhile; false when
// ctx ended.
func (w *worker) sleep(ctx context.Context, d time.Duration, tick <-chan time.Time) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		case <-tick:
			w.checkpoint(ctx)
		}
	}
}
