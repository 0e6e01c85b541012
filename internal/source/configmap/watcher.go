package configmap

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"

	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source"
)

// Tool says where one tool's ConfigMaps are and how they become findings.
type Tool struct {
	// Name is the source name, e.g. "kube-bench".
	Name string
	// Namespace is the only namespace watched.
	Namespace string
	// Selector is a label selector, applied by the API server.
	Selector string
	// Parse turns one JSON payload of cm into findings.
	Parse func(cm *corev1.ConfigMap, data []byte, now time.Time) ([]finding.Finding, error)
}

// Watcher feeds one tool's ConfigMaps to the pipeline. Each ConfigMap is
// handled by one worker through a work queue, so a burst of updates to one
// ConfigMap is handled once, in order, and a slow pipeline slows only this
// source.
type Watcher struct {
	tool     Tool
	submit   source.Submitter
	recorder events.EventRecorder
	metrics  *Metrics
	log      *slog.Logger
	now      func() time.Time
	tracker  *source.Tracker
	informer cache.SharedIndexInformer
	queue    workqueue.TypedRateLimitingInterface[string]
}

// New builds a watcher; call Run.
func New(tool Tool, client kubernetes.Interface, submit source.Submitter, recorder events.EventRecorder, m *Metrics, log *slog.Logger) *Watcher {
	inf := coreinformers.NewFilteredConfigMapInformer(client, tool.Namespace, 0, cache.Indexers{}, func(o *metav1.ListOptions) {
		o.LabelSelector = tool.Selector
	})
	_ = inf.SetTransform(func(obj any) (any, error) {
		if cm, ok := obj.(*corev1.ConfigMap); ok {
			cm.ManagedFields = nil // never read; can be large
		}
		return obj, nil
	})
	w := &Watcher{
		tool: tool, submit: submit, recorder: recorder, metrics: m, log: log.With("source", tool.Name), now: time.Now,
		tracker: source.NewTracker(), informer: inf,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: tool.Name}),
	}
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			w.queue.Add(key)
		}
	}
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, obj any) { enqueue(obj) }, DeleteFunc: enqueue,
	})
	return w
}

// HasSynced reports whether the initial list has been loaded.
func (w *Watcher) HasSynced() bool { return w.informer.HasSynced() }

// Run watches and handles ConfigMaps until ctx ends.
func (w *Watcher) Run(ctx context.Context) {
	defer w.queue.ShutDown()
	go w.informer.RunWithContext(ctx)
	if !cache.WaitForCacheSync(ctx.Done(), w.informer.HasSynced) {
		return
	}
	w.log.Info("watching ConfigMaps", "namespace", w.tool.Namespace, "selector", w.tool.Selector)
	go func() {
		for w.next(ctx) {
		}
	}()
	<-ctx.Done()
}

func (w *Watcher) next(ctx context.Context) bool {
	key, quit := w.queue.Get()
	if quit {
		return false
	}
	defer w.queue.Done(key)
	if err := w.handle(ctx, key); err != nil && ctx.Err() == nil {
		w.log.Warn("handling ConfigMap", "configmap", key, "error", err.Error())
		w.queue.AddRateLimited(key)
		return true
	}
	w.queue.Forget(key)
	return true
}

// handle turns the current state of one ConfigMap into findings.
func (w *Watcher) handle(ctx context.Context, key string) error {
	now := w.now()
	obj, exists, err := w.informer.GetIndexer().GetByKey(key)
	if err != nil {
		return err
	}
	if !exists {
		return w.send(ctx, w.tracker.Delete(key, now))
	}
	cm := obj.(*corev1.ConfigMap)
	if w.tracker.Seen(key, cm.ResourceVersion) {
		return nil // a resync: nothing changed
	}
	docs, err := payloads(cm)
	if err != nil {
		w.refuse(cm, "", err)
		w.tracker.Update(key, cm.ResourceVersion, nil, false, now)
		return nil
	}
	var found []finding.Finding
	complete := true
	for _, d := range docs {
		fs, err := w.tool.Parse(cm, d.data, now)
		if err != nil {
			w.refuse(cm, d.key, err)
			complete = false
			continue
		}
		found = append(found, fs...)
	}
	return w.send(ctx, w.tracker.Update(key, cm.ResourceVersion, found, complete, now))
}

func (w *Watcher) send(ctx context.Context, fs []finding.Finding) error {
	if len(fs) == 0 {
		return nil
	}
	w.metrics.Findings.WithLabelValues(w.tool.Name).Add(float64(len(fs)))
	return w.submit.Submit(ctx, fs...)
}

// refuse reports an unreadable payload three ways: a Warning Event on the
// ConfigMap for whoever runs the tool, a metric, and a log line. The
// ConfigMap is read again when it changes.
func (w *Watcher) refuse(cm *corev1.ConfigMap, key string, err error) {
	reason := source.ReasonOf(err)
	where := cm.Namespace + "/" + cm.Name
	if key != "" {
		where += " key " + key
	}
	w.metrics.Errors.WithLabelValues(w.tool.Name, reason).Inc()
	w.log.Warn("unreadable results", "configmap", cm.Namespace+"/"+cm.Name, "key", key, "reason", reason, "error", err.Error())
	w.recorder.Eventf(cm, nil, corev1.EventTypeWarning, "UnreadableResults", "Parse", "%s", truncate(fmt.Sprintf("%s: %v", where, err), 1000))
}

// truncate keeps an event note within the API server's 1 KiB limit.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
