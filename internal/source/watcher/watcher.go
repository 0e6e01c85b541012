package watcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source"
)

// Reader turns the current version of one watched object into findings.
// complete is false when part of the object could not be read, so that
// nothing is resolved on its account. A Reader reports its own errors.
type Reader func(obj any, now time.Time) (found []finding.Finding, complete bool)

// Watcher feeds the objects of one informer to the pipeline. Each object is
// handled by one worker through a work queue, so a burst of updates to one
// object is handled once, in order, and a slow pipeline slows only this
// watcher. A Tracker turns versions into occurrences and resolutions.
type Watcher struct {
	name     string
	scope    string // of the origins of its findings
	stored   StoredFindings
	restored atomic.Bool
	informer cache.SharedIndexInformer
	read     Reader
	submit   source.Submitter
	metrics  *Metrics
	log      *slog.Logger
	now      func() time.Time
	tracker  *Tracker
	queue    workqueue.TypedRateLimitingInterface[string]
	// onWatchError, when set, also hears of each list or watch error.
	onWatchError func(error)

	mu      sync.Mutex
	failure *watchFailure
}

// New builds a watcher for the source called name; call Run. scope
// names the watched resource among the source's watchers (see
// finding.Origin). stored, when set, is where Run rebuilds what the
// watcher knows from; nil starts from nothing, so every object counts as
// a new version.
func New(name, scope string, informer cache.SharedIndexInformer, read Reader, submit source.Submitter, stored StoredFindings, m *Metrics, log *slog.Logger) *Watcher {
	w := &Watcher{
		name: name, scope: scope, stored: stored, informer: informer, read: read, submit: submit, metrics: m, log: log, now: time.Now, tracker: NewTracker(),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: name}),
	}
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			w.queue.Add(key)
		}
	}
	// The reflector retries a failing list or watch with backoff by itself;
	// the watcher only remembers the failure, so that it can be shown.
	_ = informer.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) { w.watchError(err) })
	_, _ = informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, obj any) { enqueue(obj) }, DeleteFunc: enqueue,
	})
	return w
}

// HasSynced reports whether the initial list has been loaded and what the
// watcher knows has been rebuilt from it.
func (w *Watcher) HasSynced() bool { return w.informer.HasSynced() && w.restored.Load() }

// OnWatchError makes fn hear of each list or watch error too; call it
// before Run.
func (w *Watcher) OnWatchError(fn func(error)) { w.onWatchError = fn }

func (w *Watcher) watchError(err error) {
	if w.onWatchError != nil {
		w.onWatchError(err)
	}
	if benignWatchEnd(err) {
		return
	}
	if apierrors.IsForbidden(err) {
		err = fmt.Errorf("forbidden: %w", err)
	}
	rv := w.informer.LastSyncResourceVersion()
	w.mu.Lock()
	prev := w.failure
	w.failure = &watchFailure{err: err, rv: rv}
	w.mu.Unlock()
	if prev == nil || prev.err.Error() != err.Error() {
		w.log.Warn("list or watch failing; retrying with backoff", "error", err.Error())
	}
}

// Status reports whether the watcher has loaded its first list and, if its
// list or watch is failing, why. A failure is over once the informer has
// moved past the resource version it had when the failure was seen.
func (w *Watcher) Status() (synced bool, failing error) {
	rv := w.informer.LastSyncResourceVersion()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failure != nil && rv != w.failure.rv {
		w.log.Info("list and watch recovered", "previousError", w.failure.err.Error())
		w.failure = nil
	}
	if w.failure != nil {
		return w.HasSynced(), w.failure.err
	}
	return w.HasSynced(), nil
}

// State is Status as one of the source states.
func (w *Watcher) State() Status {
	synced, err := w.Status()
	switch {
	case err != nil:
		return Status{Source: w.name, State: StateFailing, Err: err}
	case !synced:
		return Status{Source: w.name, State: StateSyncing, Err: errors.New("loading the first list")}
	}
	return Status{Source: w.name, State: StateWatching}
}

// Run watches and handles objects until ctx ends. It returns only once
// its worker has handed its last findings to the pipeline, so the
// pipeline's final flush comes after them.
func (w *Watcher) Run(ctx context.Context) {
	go w.informer.RunWithContext(ctx)
	if !cache.WaitForCacheSync(ctx.Done(), w.informer.HasSynced) || !w.restoreUntilDone(ctx) {
		w.queue.ShutDown()
		return
	}
	worker := make(chan struct{})
	go func() {
		defer close(worker)
		for w.next(ctx) {
		}
	}()
	<-ctx.Done()
	w.queue.ShutDown()
	<-worker
}

func (w *Watcher) next(ctx context.Context) bool {
	key, quit := w.queue.Get()
	if quit {
		return false
	}
	defer w.queue.Done(key)
	if err := w.handle(ctx, key); err != nil && ctx.Err() == nil {
		w.log.Warn("handling object; will retry", "object", key, "error", err.Error())
		w.queue.AddRateLimited(key)
		return true
	}
	w.queue.Forget(key)
	return true
}

// handle turns the current state of one object into findings.
func (w *Watcher) handle(ctx context.Context, key string) error {
	now := w.now()
	obj, exists, err := w.informer.GetIndexer().GetByKey(key)
	if err != nil {
		return err
	}
	if !exists {
		return w.send(ctx, w.tracker.Delete(key, now))
	}
	version := resourceVersion(obj)
	if w.tracker.Seen(key, version) {
		return nil // a resync: nothing changed
	}
	found, complete := w.readFrom(key, obj, now)
	return w.send(ctx, w.tracker.Update(key, version, found, complete, now))
}

// readFrom reads obj, whose key is key, and stamps each finding with its
// origin.
func (w *Watcher) readFrom(key string, obj any, now time.Time) ([]finding.Finding, bool) {
	found, complete := w.read(obj, now)
	origin := finding.Origin{Scope: w.scope, Object: key}
	for i := range found {
		found[i].Origin = origin
	}
	return found, complete
}

func (w *Watcher) send(ctx context.Context, fs []finding.Finding) error {
	if len(fs) == 0 {
		return nil
	}
	w.metrics.Findings.WithLabelValues(w.name).Add(float64(len(fs)))
	// The pipeline keeps what it accepted even when it returns an error
	// (the queue was full until ctx ended): sending again would count twice.
	if err := w.submit.Submit(ctx, fs...); err != nil && ctx.Err() == nil {
		w.log.Warn("pipeline did not accept findings at once", "count", len(fs), "error", err.Error())
	}
	return nil
}

func resourceVersion(obj any) string {
	if o, ok := obj.(interface{ GetResourceVersion() string }); ok {
		return o.GetResourceVersion()
	}
	return ""
}
