package watch

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"reflect"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"

	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/source/watcher"
)

// Source is one ZenSource with a watch, as the runner needs it.
type Source struct {
	Namespace, Name string
	// Generation of the ZenSource's spec; a new one restarts the watch.
	Generation int64
	Watch      v1alpha1.WatchSource
	// Mapper is the source's compiled mapping.
	Mapper Mapper
}

// Key is the source's namespace and name.
func (s Source) Key() types.NamespacedName {
	return types.NamespacedName{Namespace: s.Namespace, Name: s.Name}
}

// Options configure a Runner.
type Options struct {
	Discovery discovery.DiscoveryInterface
	Dynamic   dynamic.Interface
	// HomeNamespace is zen-watcher's own namespace: only its sources may
	// watch every namespace or cluster-scoped kinds.
	HomeNamespace string
	Pipeline      Pipeline
	// Stored is where a watch rebuilds, when it starts, what it knows.
	Stored  watcher.StoredFindings
	Metrics *watcher.Metrics
	Log     *slog.Logger
	// Counter hears of every object version a watch reads (received, and
	// rejected when its mapping failed) and of the findings handed on to
	// be stored; package dynsource's Counters is one. Default: none.
	Counter Counter
	// OnChange hears of each source whose Status changed. It must not
	// block.
	OnChange func(types.NamespacedName)
	// Backoff paces the retries of a kind discovery does not know; the
	// default goes from 1s to 30s.
	Backoff wait.Backoff
	// StatusInterval is how often the states of running watches are
	// compared with the last told; default 2s.
	StatusInterval time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Counter adds counts to a source's status.
type Counter interface {
	Add(key types.NamespacedName, received, stored, rejected int64, at time.Time)
}

type noCounter struct{}

func (noCounter) Add(types.NamespacedName, int64, int64, int64, time.Time) {}

// Runner runs the watch sources on the leader. Apply and Remove may be
// called on every replica at any time; only while Run runs (on the
// leader) does a source watch anything.
type Runner struct {
	opts     Options
	resolver *resolver
	wake     chan struct{}

	mu      sync.Mutex
	desired map[types.NamespacedName]Source
	running map[types.NamespacedName]*state
	leading bool
}

// New builds a runner; call Run on the leader.
func New(opts Options) *Runner {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.StatusInterval <= 0 {
		opts.StatusInterval = 2 * time.Second
	}
	if opts.Backoff.Duration <= 0 {
		opts.Backoff = wait.Backoff{Duration: time.Second, Factor: 2, Jitter: 0.2, Cap: 30 * time.Second}
	}
	opts.Backoff.Steps = math.MaxInt32 // retried for as long as the source exists
	if opts.OnChange == nil {
		opts.OnChange = func(types.NamespacedName) {}
	}
	if opts.Counter == nil {
		opts.Counter = noCounter{}
	}
	return &Runner{
		opts: opts, resolver: newResolver(opts.Discovery, time.Second, opts.Now), wake: make(chan struct{}, 1),
		desired: map[types.NamespacedName]Source{}, running: map[types.NamespacedName]*state{},
	}
}

// Apply declares or updates a source. A new generation or watch restarts
// its watch; the same again changes nothing.
func (r *Runner) Apply(src Source) {
	r.mu.Lock()
	r.desired[src.Key()] = src
	r.mu.Unlock()
	r.poke()
}

// Remove stops a source. Its stored findings stay as they are: deleting a
// source is not evidence that what it found is gone.
func (r *Runner) Remove(key types.NamespacedName) {
	r.mu.Lock()
	delete(r.desired, key)
	r.mu.Unlock()
	r.poke()
}

// Status reports a declared source's status; ok is false when this
// replica runs no watch source (it does not lead) or key is not declared.
func (r *Runner) Status(key types.NamespacedName) (st Status, ok bool) {
	r.mu.Lock()
	src, declared := r.desired[key]
	s := r.running[key]
	leading := r.leading
	r.mu.Unlock()
	switch {
	case !leading || !declared:
		return Status{}, false
	case s == nil || s.src.Generation != src.Generation:
		return Status{ObservedGeneration: src.Generation, Ready: metav1.ConditionUnknown, Reason: ReasonPending, Message: "the watch is starting"}, true
	}
	return s.status(), true
}

// Run starts every declared source, keeps them in line with Apply and
// Remove, and tells OnChange of status changes, until ctx ends; then it
// stops them all and returns.
func (r *Runner) Run(ctx context.Context) error {
	r.mu.Lock()
	if r.leading {
		r.mu.Unlock()
		return errors.New("watch sources: Run called twice")
	}
	r.leading = true
	r.mu.Unlock()
	defer r.stopAll()
	t := time.NewTicker(r.opts.StatusInterval)
	defer t.Stop()
	for {
		r.reconcile(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-r.wake:
		case <-t.C:
			r.notifyChanged()
		}
	}
}

func (r *Runner) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// reconcile starts declared sources that do not run, restarts those whose
// spec changed and stops those no longer declared.
func (r *Runner) reconcile(ctx context.Context) {
	r.mu.Lock()
	var stop []*state
	var start []*state
	for key, s := range r.running {
		src, ok := r.desired[key]
		if ok && src.Generation == s.src.Generation && reflect.DeepEqual(src.Watch, s.src.Watch) {
			continue
		}
		stop = append(stop, s)
		delete(r.running, key)
	}
	for key, src := range r.desired {
		if _, ok := r.running[key]; ok {
			continue
		}
		rctx, cancel := context.WithCancel(ctx)
		s := &state{src: src, cancel: cancel, done: make(chan struct{}),
			cond: condition{metav1.ConditionUnknown, ReasonPending, "the watch is starting"}}
		r.running[key] = s
		start = append(start, s)
		defer func() { go r.run(rctx, s) }()
	}
	r.mu.Unlock()
	// The old watch of a source stops before its new one starts (the
	// deferred calls above), so two watches never submit for one source.
	for _, s := range stop {
		s.cancel()
		<-s.done
		r.forgetMetrics(s.src)
	}
	for _, s := range start {
		r.changed(s)
	}
}

func (r *Runner) stopAll() {
	r.mu.Lock()
	all := r.running
	r.running, r.leading = map[types.NamespacedName]*state{}, false
	r.mu.Unlock()
	for _, s := range all {
		s.cancel()
	}
	for _, s := range all {
		<-s.done
	}
}

// forgetMetrics removes the series of a stopped source's name unless
// another source of that name (in another namespace) still runs: a deleted
// source leaves no series behind.
func (r *Runner) forgetMetrics(src Source) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.running {
		if s.src.Name == src.Name {
			return
		}
	}
	if _, ok := r.desired[src.Key()]; ok {
		return // restarted with a new spec
	}
	r.opts.Metrics.Errors.DeletePartialMatch(prometheus.Labels{"source": src.Name})
	r.opts.Metrics.Findings.DeletePartialMatch(prometheus.Labels{"source": src.Name})
}

// changed tells OnChange at once if s's status differs from the last one
// told: conditions are worth a prompt status write.
func (r *Runner) changed(s *state) {
	st := s.status()
	s.mu.Lock()
	same := s.notified != nil && *s.notified == st
	s.notified = &st
	s.mu.Unlock()
	if !same {
		r.opts.OnChange(s.src.Key())
	}
}

// notifyChanged compares every running source's status with the last one
// told: a watch's own state (forbidden, synced) changes without a call.
func (r *Runner) notifyChanged() {
	r.mu.Lock()
	all := make([]*state, 0, len(r.running))
	for _, s := range r.running {
		all = append(all, s)
	}
	r.mu.Unlock()
	for _, s := range all {
		r.changed(s)
	}
}
