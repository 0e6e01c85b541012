package output

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/resourceversion"
	"k8s.io/apimachinery/pkg/util/wait"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/api/v1alpha1"
)

// Options configure the engine.
type Options struct {
	// Reader reads one event, details included, at delivery (uncached).
	Reader client.Reader
	// Client writes ZenOutput status.
	Client client.Client
	// OwnNamespace is zen-watcher's namespace: outputs there see all.
	OwnNamespace string
	// BacklogSize bounds each output's pending deliveries.
	BacklogSize int
	// CheckpointInterval spaces an output's status writes.
	CheckpointInterval time.Duration
	// Backoff spaces retries of a failing batch; its Cap bounds the wait.
	Backoff  wait.Backoff
	Registry prometheus.Registerer
	Log      *slog.Logger
	Now      func() time.Time
}

// Engine delivers stored findings to every ready ZenOutput. It watches
// ZenAgentEvents (without their details), turns each change into the
// deliveries the outputs ask for, and gives every output its own backlog
// and goroutine, so that one slow or dead receiver delays no other. It
// runs on the leader only.
type Engine struct {
	opts    Options
	metrics *metrics
	synced  chan struct{}
	// events is the cache of ZenAgentEvents that Run starts; set before
	// synced is closed, read only after.
	events cache.Cache

	mu      sync.Mutex
	ctx     context.Context // the engine's run; outputs live within it
	mark    Mark            // the newest change seen
	seq     uint64
	outputs map[types.NamespacedName]*worker
}

// NewEngine builds an engine; Run starts it.
func NewEngine(opts Options) *Engine {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Engine{opts: opts, metrics: newMetrics(opts.Registry), synced: make(chan struct{}), outputs: map[types.NamespacedName]*worker{}}
}

// StripEvent is the transform of the engine's event cache: it keeps what
// matching and triggers read and drops details, annotations and managed
// fields, so that memory does not grow with the size of findings. The
// details are read at delivery.
func StripEvent(obj any) (any, error) {
	e, ok := obj.(*zenv1.ZenAgentEvent)
	if !ok {
		return obj, nil
	}
	s := &zenv1.ZenAgentEvent{Spec: e.Spec, Status: e.Status}
	s.Name, s.Namespace, s.UID = e.Name, e.Namespace, e.UID
	s.ResourceVersion, s.CreationTimestamp = e.ResourceVersion, e.CreationTimestamp
	s.Spec.Details = nil
	return s, nil
}

// Run watches the events through events, a cache of ZenAgentEvents in
// every namespace built with StripEvent as its transform, which it starts
// and owns, and runs the outputs until ctx ends. It runs once.
func (e *Engine) Run(ctx context.Context, events cache.Cache) error {
	e.mu.Lock()
	e.ctx, e.events = ctx, events
	e.mu.Unlock()
	inf, err := events.GetInformer(ctx, &zenv1.ZenAgentEvent{})
	if err != nil {
		return fmt.Errorf("watching ZenAgentEvents for outputs: %w", err)
	}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerDetailedFuncs{
		AddFunc: func(obj any, initial bool) {
			if ev, ok := obj.(*zenv1.ZenAgentEvent); ok {
				e.observe(nil, ev, initial)
			}
		},
		UpdateFunc: func(oldObj, newObj any) {
			o, ok1 := oldObj.(*zenv1.ZenAgentEvent)
			n, ok2 := newObj.(*zenv1.ZenAgentEvent)
			if ok1 && ok2 {
				e.observe(o, n, false)
			}
		},
	}); err != nil {
		return fmt.Errorf("adding the outputs' event handler: %w", err)
	}
	go func() {
		if e.events.WaitForCacheSync(ctx) {
			close(e.synced)
			e.opts.Log.Info("output engine synced", "resourceVersion", e.currentMark().ResourceVersion)
		}
	}()
	if err := e.events.Start(ctx); err != nil {
		return fmt.Errorf("event cache for outputs: %w", err)
	}
	e.mu.Lock()
	ws := make([]*worker, 0, len(e.outputs))
	for _, w := range e.outputs {
		ws = append(ws, w)
	}
	e.mu.Unlock()
	for _, w := range ws {
		w.wait()
	}
	return nil
}

// observe hands one change to every output, then moves the mark past it.
func (e *Engine) observe(old, cur *zenv1.ZenAgentEvent, initial bool) {
	now := e.opts.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	prev := e.mark
	if !initial {
		for _, w := range e.outputs {
			for _, t := range changeTriggers(old, cur) {
				e.seq++
				w.offer(cur, t, e.seq, prev, storedAt(cur, t, old == nil, now))
			}
		}
	}
	e.mark = later(e.mark, cur)
}

// later is m moved to cur if cur is newer.
func later(m Mark, cur *zenv1.ZenAgentEvent) Mark {
	if m.ResourceVersion == "" || newer(cur.ResourceVersion, m.ResourceVersion) {
		m.ResourceVersion = cur.ResourceVersion
	}
	if c := cur.CreationTimestamp.Time; c.After(m.CreatedBefore) {
		m.CreatedBefore = c
	}
	return m
}

// newer reports whether resource version a comes after b. The API server
// makes resource versions comparable (KEP-5504); one that is not well
// formed counts as newer, so that nothing is skipped.
func newer(a, b string) bool {
	c, err := resourceversion.CompareResourceVersion(a, b)
	return err != nil || c > 0
}

func (e *Engine) currentMark() Mark {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.mark
}

// Synced reports whether the engine has loaded the stored events.
func (e *Engine) Synced() <-chan struct{} { return e.synced }

// Apply starts delivering to o with n, or gives a running output its new
// spec. It waits for the engine to have loaded the stored events.
func (e *Engine) Apply(ctx context.Context, o *v1alpha1.ZenOutput, m *Matcher, n Notifier) error {
	select {
	case <-e.synced:
	case <-ctx.Done():
		return ctx.Err()
	}
	k := types.NamespacedName{Namespace: o.Namespace, Name: o.Name}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ctx == nil || e.ctx.Err() != nil {
		return fmt.Errorf("the output engine is not running")
	}
	if w, ok := e.outputs[k]; ok {
		w.configure(o, m, n)
		return nil
	}
	w := newWorker(e, k, o, m, n)
	e.outputs[k] = w
	e.metrics.init(k)
	e.recover(w, o.Status.Progress)
	w.start(e.ctx)
	return nil
}

// recover queues, for a new output, what changed after its stored
// progress; an output without progress starts from now, and one whose
// progress has no resource version (written before any event existed)
// from the beginning. Called with e.mu.
func (e *Engine) recover(w *worker, p *v1alpha1.OutputProgress) {
	if p == nil {
		return
	}
	from := Mark{ResourceVersion: p.ResourceVersion}
	if p.CreatedBefore != nil {
		from.CreatedBefore = p.CreatedBefore.Time
	}
	var list zenv1.ZenAgentEventList
	if err := e.events.List(e.ctx, &list); err != nil {
		e.opts.Log.Error("listing events to resume an output; it resumes from now", "output", w.key.String(), "error", err.Error())
		return
	}
	now := e.opts.Now()
	n := 0
	for i := range list.Items {
		ev := &list.Items[i]
		if !newer(ev.ResourceVersion, from.ResourceVersion) {
			continue
		}
		for _, t := range recoveryTriggers(ev, from.CreatedBefore) {
			e.seq++
			w.offer(ev, t, e.seq, from, storedAt(ev, t, true, now))
			n++
		}
	}
	e.opts.Log.Info("output resumed", "output", w.key.String(), "from", from.ResourceVersion, "queued", n)
}

// Remove stops delivering to the output k, after writing its progress so
// that a later Apply resumes where it stopped.
func (e *Engine) Remove(k types.NamespacedName) {
	e.mu.Lock()
	w, ok := e.outputs[k]
	delete(e.outputs, k)
	e.mu.Unlock()
	if ok {
		w.stop()
		e.metrics.remove(k)
	}
}

// Forget stops delivering to a deleted output, without writing to it.
func (e *Engine) Forget(k types.NamespacedName) {
	e.mu.Lock()
	w, ok := e.outputs[k]
	delete(e.outputs, k)
	e.mu.Unlock()
	if ok {
		w.gone.Store(true)
		w.stop()
		e.metrics.remove(k)
	}
}

// event returns the cached (detail-less) event k, if any.
func (e *Engine) event(ctx context.Context, k types.NamespacedName) (*zenv1.ZenAgentEvent, bool) {
	var ev zenv1.ZenAgentEvent
	if err := e.events.Get(ctx, k, &ev); err != nil {
		return nil, false
	}
	return &ev, true
}
