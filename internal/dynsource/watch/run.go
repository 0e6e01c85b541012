package watch

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/time/rate"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/mapping"
	"github.com/kube-zen/zen-watcher/internal/source/watcher"
)

// run runs one source until ctx ends: it checks what the source may watch,
// resolves its kind (retrying with backoff while the kind is not served),
// and watches it, resolving again if the kind goes away.
func (r *Runner) run(ctx context.Context, s *state) {
	defer close(s.done)
	src := s.src
	tenant := src.Namespace != r.opts.HomeNamespace
	log := r.opts.Log.With("zensource", src.Namespace+"/"+src.Name)
	if reason, msg := r.refusal(src, tenant); reason != "" {
		s.set(metav1.ConditionFalse, reason, msg)
		log.Warn("watch source refused", "reason", reason, "message", msg)
		r.changed(s)
		return
	}
	b := r.opts.Backoff
	for ctx.Err() == nil {
		m, err := r.resolver.resolve(ctx, src.Watch.APIVersion, src.Watch.Kind)
		if err != nil {
			reason := ReasonWatchFailed
			if meta.IsNoMatchError(err) {
				reason = v1alpha1.ReasonKindNotFound
			}
			d := b.Step()
			s.set(metav1.ConditionFalse, reason, fmt.Sprintf("%v; retrying in %s", err, d.Round(time.Second)))
			r.changed(s)
			log.Info("watched kind not resolved; retrying", "reason", reason, "error", err.Error(), "retryIn", d.String())
			select {
			case <-ctx.Done():
			case <-time.After(d):
			}
			continue
		}
		b = r.opts.Backoff
		namespaced := m.Scope.Name() == meta.RESTScopeNameNamespace
		if !namespaced && tenant {
			s.set(metav1.ConditionFalse, v1alpha1.ReasonNotAllowed, fmt.Sprintf(
				"%s is cluster-scoped: only a source in zen-watcher's namespace %s may watch it", m.Resource.GroupResource(), r.opts.HomeNamespace))
			r.changed(s)
			return
		}
		ns := src.Namespace
		if src.Watch.AllNamespaces || !namespaced {
			ns = metav1.NamespaceAll
		}
		if !r.watch(ctx, s, m.Resource, ns, tenant, log) {
			return
		}
		log.Info("watched kind no longer served; resolving it again", "resource", m.Resource.String())
		r.resolver.invalidate(ctx)
	}
}

// refusal says why src may not run at all, whatever the cluster serves.
func (r *Runner) refusal(src Source, tenant bool) (reason, message string) {
	switch {
	case tenant && src.Watch.AllNamespaces:
		return v1alpha1.ReasonNotAllowed, fmt.Sprintf(
			"allNamespaces is allowed only for a source in zen-watcher's namespace %s; this source watches only %s", r.opts.HomeNamespace, src.Namespace)
	case len(validation.IsDNS1123Label(src.Name)) > 0:
		return v1alpha1.ReasonNotAllowed, fmt.Sprintf("the name %q is the source of every finding, so it must be a DNS label (at most 63 characters, no dots)", src.Name)
	}
	if _, err := labels.Parse(src.Watch.LabelSelector); err != nil {
		return ReasonInvalidSelector, fmt.Sprintf("labelSelector %q: %v", src.Watch.LabelSelector, err)
	}
	if _, err := fields.ParseSelector(src.Watch.FieldSelector); err != nil {
		return ReasonInvalidSelector, fmt.Sprintf("fieldSelector %q: %v", src.Watch.FieldSelector, err)
	}
	return "", ""
}

// watch runs one informer on gvr in ns (empty: all) until ctx ends, and
// reports whether it stopped because the resource is no longer served.
func (r *Runner) watch(ctx context.Context, s *state, gvr schema.GroupVersionResource, ns string, tenant bool, log *slog.Logger) (gone bool) {
	src := s.src
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	inf := dynamicinformer.NewFilteredDynamicInformer(r.opts.Dynamic, gvr, ns, 0, cache.Indexers{}, func(o *metav1.ListOptions) {
		o.LabelSelector, o.FieldSelector = src.Watch.LabelSelector, src.Watch.FieldSelector
	}).Informer()
	// Each object is mapped as it enters the cache, and only its mapping is
	// kept: the cache holds findings, not objects.
	_ = inf.SetTransform(func(obj any) (any, error) {
		if u, ok := obj.(*unstructured.Unstructured); ok {
			return mapObject(wctx, &src, tenant, u, r.opts.Now()), nil
		}
		return obj, nil // already mapped
	})
	where := "all namespaces"
	if ns != "" {
		where = "namespace " + ns
	}
	resource := gvr.GroupResource().String() + " in " + where
	wlog := log.With("source", src.Name, "resource", gvr.String(), "namespace", ns)
	// The scope is the ZenSource itself: when its spec changes, a rebuild
	// resolves what the old spec found and the new one does not.
	scope := "zensource/" + src.Namespace + "/" + src.Name
	w := watcher.New(src.Name, scope, inf, r.reader(s, wlog), &countingSubmitter{pipeline: r.opts.Pipeline, key: src.Key(), counter: r.opts.Counter},
		r.opts.Stored, r.opts.Metrics, wlog)
	goneCh := make(chan struct{}, 1)
	w.OnWatchError(func(err error) {
		if apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err) {
			select {
			case goneCh <- struct{}{}:
			default:
			}
		}
	})
	s.setWatcher(w, resource)
	r.changed(s)
	wlog.Info("watch source started", "selector", src.Watch.LabelSelector, "fieldSelector", src.Watch.FieldSelector)
	done := make(chan struct{})
	go func() { w.Run(wctx); close(done) }()
	select {
	case <-ctx.Done():
	case <-goneCh:
		gone = true
	}
	cancel()
	<-done
	s.set(metav1.ConditionUnknown, ReasonPending, "stopped watching "+resource)
	return gone
}

// reader hands the Watcher the findings mapped into the cache, and counts
// each version read: received, and rejected or filtered.
func (r *Runner) reader(s *state, log *slog.Logger) watcher.Reader {
	errLog := rate.NewLimiter(rate.Every(10*time.Second), 1) // one warning per 10s per source
	key := s.src.Key()
	return func(obj any, _ time.Time) ([]finding.Finding, bool) {
		m, ok := obj.(*mapped)
		if !ok {
			return nil, false
		}
		switch {
		case m.err != nil:
			r.opts.Counter.Add(key, 1, 0, 1, m.at)
			r.opts.Metrics.Errors.WithLabelValues(s.src.Name, m.reason()).Inc()
			if errLog.Allow() {
				log.Warn("object rejected", "reason", m.reason(), "error", m.err.Error())
			}
			// Incomplete: what the object held before is not resolved
			// because its new version could not be mapped.
			return nil, false
		case m.dropped:
			r.opts.Counter.Add(key, 1, 0, 0, m.at)
			r.opts.Metrics.Errors.WithLabelValues(s.src.Name, mapping.ReasonFiltered).Inc()
			return nil, true
		}
		r.opts.Counter.Add(key, 1, 0, 0, m.at)
		return m.findings(), true
	}
}
