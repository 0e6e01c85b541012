package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/ack"
	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/store"
)

// Enqueuer accepts writes; *store.Writer is one.
type Enqueuer interface {
	// Enqueue waits for room until ctx ends; with an ended ctx it only
	// takes op if there is room now.
	Enqueue(ctx context.Context, op *store.Op) error
	// Saturated reports whether the queue is full.
	Saturated() bool
}

// ErrBusy is TryAdd's refusal: the write queue is full.
var ErrBusy = errors.New("write queue full")

// StoredEvents answers whether an event with a key hash is stored already,
// without an API call; the event index is one.
type StoredEvents interface {
	// Latest returns the namespace and generation of the newest stored
	// event with this key hash.
	Latest(keyHash string) (namespace string, gen int, ok bool)
}

// Aggregator is the dedup/aggregate stage and the pipeline's sink. It turns
// the first occurrence of a key into a create and folds every repeat into
// one pending status delta per event, flushed at most once per interval.
type Aggregator struct {
	writer         Enqueuer
	stored         StoredEvents
	window         time.Duration
	eventNamespace string
	metrics        *Metrics
	log            *slog.Logger

	now func() time.Time

	mu      sync.Mutex
	entries map[string]*entry // by finding.KeyHash
	orphans []*store.Op       // writes of superseded generations that found the queue full
	closing bool
}

// entry is what the aggregator knows of one event. Its template, the event
// to write, is kept only while a write is pending, so memory does not grow
// with event bodies.
type entry struct {
	namespace string
	gen       int
	exists    bool        // believed stored
	inflight  bool        // a write for this event is queued or running
	hint      *store.Hint // what this process last wrote
	lastSeen  time.Time   // latest occurrence; zero when only the index knows the event
	pending   store.Delta
	template  *zenv1.ZenAgentEvent
	seq       uint64    // of the latest write issued; only its outcome clears inflight
	touched   time.Time // when a finding last came, by the wall clock, for eviction
	once      bool      // the key names a single occurrence
	// acks wait for the entry's next write: the occurrences in pending,
	// or single occurrences whose first delivery is still being written.
	acks []*ack.Ack
}

// idleAfter is how long an entry with nothing to write stays in memory after
// its last finding. Evicted keys are found again in the event index, so this
// only trades memory for a read on the next occurrence.
const idleAfter = 10 * time.Minute

// NewAggregator builds the stage. window is DEDUP_WINDOW (zero: off).
func NewAggregator(w Enqueuer, stored StoredEvents, window time.Duration, eventNamespace string, m *Metrics, log *slog.Logger) *Aggregator {
	return &Aggregator{writer: w, stored: stored, window: window, eventNamespace: eventNamespace, metrics: m, log: log,
		now: time.Now, entries: map[string]*entry{}}
}

// Add records findings: new keys become creates at once, repeats and
// resolutions wait for the next flush. It waits while the write queue is
// full, and fails when ctx ends first, or with store.ErrClosed, recording
// nothing, once Close has run.
func (a *Aggregator) Add(ctx context.Context, findings []finding.Finding) error {
	ops, err := a.recordAll(findings)
	if err != nil {
		return err
	}
	return a.enqueue(ctx, ops)
}

// TryAdd records findings without waiting, or refuses them all with
// ErrBusy, recording nothing, when the write queue is full: a webhook
// handler calls it on its own goroutine and answers at once. Writes that
// miss the queue by a hair are kept pending for the next flush.
func (a *Aggregator) TryAdd(findings []finding.Finding) error {
	if a.writer.Saturated() {
		return ErrBusy
	}
	ops, err := a.recordAll(findings)
	if err != nil {
		return err
	}
	_ = a.enqueue(ended, ops) // what does not fit is requeued, not lost
	return nil
}

// recordAll records findings and returns the writes to make now, or
// store.ErrClosed, recording nothing, once Close has run. Key hashes are
// computed and metrics counted outside the lock, which every webhook
// handler takes: only the map work is serialized.
func (a *Aggregator) recordAll(findings []finding.Finding) ([]*store.Op, error) {
	hashes := make([]string, len(findings))
	for i := range findings {
		hashes[i] = finding.KeyHash(findings[i].Source, findings[i].DedupKey)
	}
	now := a.now()
	outcomes := make([]outcome, len(findings))
	var ops []*store.Op
	a.mu.Lock()
	if a.closing {
		a.mu.Unlock()
		return nil, store.ErrClosed
	}
	for i := range findings {
		var op *store.Op
		op, outcomes[i] = a.record(&findings[i], hashes[i], now)
		if op != nil {
			ops = append(ops, op)
		}
	}
	a.mu.Unlock()
	for i, o := range outcomes {
		if o.dedupHit {
			a.metrics.DedupHits.WithLabelValues(findings[i].Source).Inc()
		}
		if o.coalesced {
			a.metrics.Coalesced.WithLabelValues(findings[i].Source).Inc()
		}
	}
	return ops, nil
}

// outcome is what recording one finding did, for the metrics.
type outcome struct{ dedupHit, coalesced bool }

// ended is a context that has ended: Enqueue with it never waits.
var ended = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// record folds one finding, whose key hash is h, into its entry and returns
// a write to make now, if any, and what it did. Callers hold a.mu.
func (a *Aggregator) record(f *finding.Finding, h string, now time.Time) (*store.Op, outcome) {
	e := a.entries[h]
	if e == nil {
		e = a.lookup(h, f)
		a.entries[h] = e
	}
	e.touched = now
	at := f.DetectedAt
	if f.Resolved {
		if !e.exists && !e.inflight {
			return nil, outcome{} // never stored: nothing to resolve
		}
		e.pending.Merge(store.Delta{ResolvedAt: at})
		a.keepTemplate(f, e)
		return nil, outcome{}
	}
	if f.SingleOccurrence {
		e.once = true
		// A redelivery of the one occurrence the key names, even when its
		// first delivery still waits in pending, is done when that is.
		switch {
		case e.exists:
			settleNow(f.Ack)
			return nil, outcome{dedupHit: true}
		case e.inflight || e.pending.Count > 0:
			e.wait(f.Ack)
			return nil, outcome{dedupHit: true}
		case !e.lastSeen.IsZero() && f.Ack == nil:
			return nil, outcome{dedupHit: true}
		}
		// The first delivery, or a redelivery a sender waits on after the
		// first one's write failed: create it (again; AlreadyExists adds
		// nothing to a single occurrence).
	}
	var rotated *store.Op
	if a.window > 0 && !e.lastSeen.IsZero() && at.Sub(e.lastSeen) > a.window {
		// Recurred after the window: a new generation, a new event. What
		// the old one still had pending is written first.
		if (e.pending != store.Delta{}) && e.template != nil {
			rotated = a.op(h, e, e.pending, e.template)
			rotated.Acks, e.acks = e.acks, nil
		}
		e = &entry{namespace: e.namespace, gen: e.gen + 1, touched: e.touched}
		a.entries[h] = e
	}
	if e.lastSeen.Before(at) {
		e.lastSeen = at
	}
	occurrence := store.Delta{Count: 1, FirstSeen: at, LastSeen: at}
	a.keepTemplate(f, e)
	if !e.exists && !e.inflight && rotated == nil {
		e.inflight = true
		// The writer may move its copy to EVENT_NAMESPACE; the template
		// stays ours, for the repeats to come.
		op := a.op(h, e, occurrence, e.template.DeepCopy())
		// The create carries the occurrence. Should it meet AlreadyExists
		// (another replica was first), the occurrence rides with the next
		// flush instead of a status write of its own.
		op.DeferStatus = true
		if f.Ack != nil {
			op.Acks = []*ack.Ack{f.Ack}
		}
		return op, outcome{}
	}
	o := outcome{dedupHit: e.exists || e.inflight, coalesced: e.pending.Count > 0}
	e.pending.Merge(occurrence)
	e.wait(f.Ack)
	return rotated, o
}

// keepTemplate renders the event for a pending write once; repeats reuse it,
// which keeps JSON encoding off the repeat path.
func (a *Aggregator) keepTemplate(f *finding.Finding, e *entry) {
	if e.template == nil {
		e.template = a.event(f, e)
	}
}

// lookup starts an entry for a key this process has not seen, from the
// event index when the event is stored already.
func (a *Aggregator) lookup(h string, f *finding.Finding) *entry {
	if ns, gen, ok := a.stored.Latest(h); ok {
		return &entry{namespace: ns, gen: gen, exists: true}
	}
	ns := f.EventNamespace
	if ns == "" {
		ns = f.Namespace()
	}
	if ns == "" {
		ns = a.eventNamespace
	}
	return &entry{namespace: ns}
}

// takePending turns e's pending delta into a write, or nil when there is
// none or a write is already running (it will pick the delta up when done).
func (a *Aggregator) takePending(h string, e *entry) *store.Op {
	if e.inflight || (e.pending == store.Delta{}) || e.template == nil {
		return nil
	}
	op := a.op(h, e, e.pending, e.template)
	op.Acks = e.acks
	e.pending, e.template, e.inflight, e.acks = store.Delta{}, nil, true, nil
	return op
}

// Flush writes every pending delta, and forgets entries idle for longer
// than idleAfter; the app calls it every FLUSH_INTERVAL.
func (a *Aggregator) Flush(ctx context.Context) error {
	a.mu.Lock()
	ops := a.orphans
	a.orphans = nil
	idleSince := a.now().Add(-idleAfter)
	for h, e := range a.entries {
		if op := a.takePending(h, e); op != nil {
			ops = append(ops, op)
			continue
		}
		if !e.inflight && e.template == nil && (e.pending == store.Delta{}) && e.touched.Before(idleSince) {
			delete(a.entries, h)
		}
	}
	a.mu.Unlock()
	return a.enqueue(ctx, ops)
}

// Close flushes for the last time. Deltas that pile up behind writes still
// running are handed to those writes' workers directly, so nothing accepted
// before Close is lost.
func (a *Aggregator) Close(ctx context.Context) error {
	a.mu.Lock()
	a.closing = true
	a.mu.Unlock()
	return a.Flush(ctx)
}

// Unwritten counts the writes still held after Close: deltas no write
// carried and writes that found the queue closed, with their occurrences.
func (a *Aggregator) Unwritten() (writes int, occurrences int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, op := range a.orphans {
		writes++
		occurrences += op.Delta.Count
	}
	for _, e := range a.entries {
		if !e.inflight && (e.pending != store.Delta{}) {
			writes++
			occurrences += e.pending.Count
		}
	}
	return writes, occurrences
}

// RunFlusher flushes every interval until ctx ends.
func (a *Aggregator) RunFlusher(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.Flush(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("flushing repeats", "error", err.Error())
			}
		}
	}
}

func (a *Aggregator) enqueue(ctx context.Context, ops []*store.Op) error {
	for i, op := range ops {
		if err := a.writer.Enqueue(ctx, op); err != nil {
			a.requeue(ops[i:])
			return err
		}
	}
	return nil
}

// requeue folds writes that could not be enqueued back into their entries,
// so the next flush retries them.
func (a *Aggregator) requeue(ops []*store.Op) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, op := range ops {
		h := op.Event.Labels[zenv1.LabelKeyHash]
		e := a.entries[h]
		if e == nil || e.gen != generationOf(op.Event) {
			// Its entry moved on to a newer generation; keep the write as
			// it is for the next flush.
			a.orphans = append(a.orphans, op)
			continue
		}
		e.inflight = false
		e.pending.Merge(op.Delta)
		e.acks = append(op.Acks, e.acks...)
		op.Acks = nil
		if e.template == nil {
			e.template = op.Event
		}
	}
}

// op builds the write for entry e and the callback that folds its outcome
// back into the entry.
func (a *Aggregator) op(h string, e *entry, d store.Delta, ev *zenv1.ZenAgentEvent) *store.Op {
	gen := e.gen
	e.seq++
	seq := e.seq
	op := &store.Op{Event: ev, Delta: d, Exists: e.exists, Hint: e.hint, Window: a.window, SingleOccurrence: e.once}
	op.Done = func(r store.Result) *store.Op { return a.done(h, gen, seq, op, r) }
	return op
}

// done updates the entry after a write and returns a follow-up write: the
// next generation when the window expired, or the delta that accumulated
// meanwhile when the aggregator is closing.
func (a *Aggregator) done(h string, gen int, seq uint64, op *store.Op, r store.Result) *store.Op {
	ev, d := op.Event, op.Delta
	a.mu.Lock()
	defer a.mu.Unlock()
	e := a.entries[h]
	if e == nil || e.gen != gen {
		return a.superseded(h, e, op, r)
	}
	if seq == e.seq {
		e.inflight = false // an older write (a replayed dead letter) leaves a newer one running
		if (e.pending == store.Delta{}) {
			// Only redelivered single occurrences wait without a delta:
			// this write decided their fate.
			settleAll(e.acks, r.Err)
			e.acks = nil
		}
	}
	if r.Err != nil {
		// Dead-lettered with its delta; replay will finish it. At the final
		// drain, what waited behind it is still written.
		if a.closing {
			return a.takePending(h, e)
		}
		return nil
	}
	e.namespace = r.Namespace
	if e.template != nil {
		e.template.Namespace = r.Namespace
	}
	if r.WindowExpired {
		next := &entry{namespace: e.namespace, gen: gen + 1, lastSeen: d.LastSeen, pending: e.pending, template: e.template,
			touched: e.touched, inflight: true, acks: e.acks}
		if e.lastSeen.After(next.lastSeen) {
			next.lastSeen = e.lastSeen
		}
		if next.template != nil {
			a.name(next.template, ev.Spec.Source, ev.Spec.DedupKey, next) // it was rendered for the expired generation
		}
		a.entries[h] = next
		nextEv := ev.DeepCopy()
		a.name(nextEv, ev.Spec.Source, ev.Spec.DedupKey, next)
		nextOp := a.op(h, next, d, nextEv)
		nextOp.Acks, op.Acks = op.Acks, nil // nothing was written: the next generation carries them
		return nextOp
	}
	e.exists, e.hint = true, r.Hint
	if (r.Unapplied != store.Delta{}) {
		u := r.Unapplied // earlier than anything pending: merge in order
		u.Merge(e.pending)
		e.pending = u
		if e.template == nil {
			e.template = ev
		}
	}
	if (e.pending == store.Delta{}) {
		// A create that carried its occurrence and no repeat since: the
		// rendered event is not needed until the next repeat renders it.
		e.template = nil
	}
	if a.closing {
		return a.takePending(h, e)
	}
	return nil
}

// superseded finishes a write whose generation the entry has moved past:
// occurrences its create deferred still belong to it, and occurrences that
// came too late for it belong to the newest generation.
func (a *Aggregator) superseded(h string, e *entry, op *store.Op, r store.Result) *store.Op {
	ev, d := op.Event, op.Delta
	switch {
	case r.Err != nil:
		return nil // dead-lettered with its delta
	case r.WindowExpired && e == nil:
		// Evicted meanwhile, which an entry with a write running never is;
		// should it happen, the waiters hear that nothing was written.
		settleAll(op.Acks, errNotWritten)
		op.Acks = nil
	case r.WindowExpired:
		u := d // earlier than anything pending: merge in order
		u.Merge(e.pending)
		e.pending = u
		e.acks = append(op.Acks, e.acks...)
		op.Acks = nil
		if e.template == nil {
			e.template = ev.DeepCopy()
			a.name(e.template, ev.Spec.Source, ev.Spec.DedupKey, e)
		}
		if a.closing {
			return a.takePending(h, e)
		}
	case (r.Unapplied != store.Delta{}):
		return &store.Op{Event: ev, Delta: r.Unapplied, Exists: true, Hint: r.Hint}
	}
	return nil
}

// errNotWritten settles acks whose occurrences no write will carry.
var errNotWritten = errors.New("occurrence not written")

// wait attaches a to the entry's next write; nil is no waiter.
func (e *entry) wait(a *ack.Ack) {
	if a != nil {
		e.acks = append(e.acks, a)
	}
}

// settleNow settles a finding that needs no write; nil is no waiter.
func settleNow(a *ack.Ack) {
	if a != nil {
		a.Settle(nil)
	}
}

func settleAll(acks []*ack.Ack, err error) {
	for _, a := range acks {
		a.Settle(err)
	}
}
