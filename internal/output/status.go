package output

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/api/v1alpha1"
)

// idleCheckpoint spaces the status writes of an output whose only change
// is its watermark: other outputs' findings moved the stream, none of its
// own. Resuming from a watermark this old replays only what it had no
// delivery for.
const idleCheckpoint = time.Minute

// watermark is the output's progress: the point in the stream before the
// oldest delivery still pending, or the engine's newest point when none
// is. Read the engine's point first: taking the engine's lock while
// holding the worker's would invert the order observe takes them in.
func (w *worker) watermark() Mark {
	m := w.e.currentMark()
	w.mu.Lock()
	defer w.mu.Unlock()
	oldest := w.backlog.oldest()
	for _, it := range w.inflight {
		if oldest == nil || it.seq < oldest.seq {
			oldest = it
		}
	}
	if oldest != nil {
		return oldest.prev
	}
	return m
}

// checkpoint writes the status when it changed, or when only the
// watermark moved and idleCheckpoint passed.
func (w *worker) checkpoint(ctx context.Context) {
	m := w.watermark()
	w.mu.Lock()
	due := w.st.dirty || (m.ResourceVersion != w.st.writtenMark && w.e.opts.Now().Sub(w.st.written) >= idleCheckpoint)
	w.mu.Unlock()
	if due {
		w.write(ctx, m)
	}
}

// finalCheckpoint writes the progress as the worker stops, so that the
// next leader, or a later Apply, resumes from here.
func (w *worker) finalCheckpoint(ctx context.Context) {
	if w.gone.Load() {
		return
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	w.write(wctx, w.watermark())
}

// write puts the counters, the Delivering condition and the watermark in
// the output's status; the controller owns Ready and the generation.
func (w *worker) write(ctx context.Context, m Mark) {
	w.mu.Lock()
	st := w.st
	backlog := int64(w.backlog.len() + len(w.inflight))
	w.st.dirty = false
	w.mu.Unlock()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var o v1alpha1.ZenOutput
		if err := w.e.opts.Reader.Get(ctx, w.key, &o); err != nil {
			return err
		}
		o.Status.Delivered, o.Status.Failed, o.Status.Dropped, o.Status.Backlog = st.delivered, st.failed, st.dropped, backlog
		o.Status.LastDeliveryTime, o.Status.LastError = st.lastDelivery, st.lastError
		// An empty resource version is progress too: the engine had seen no
		// event yet, so everything stored since is due.
		p := &v1alpha1.OutputProgress{ResourceVersion: m.ResourceVersion}
		if !m.CreatedBefore.IsZero() {
			p.CreatedBefore = &metav1.Time{Time: m.CreatedBefore}
		}
		o.Status.Progress = p
		c := st.delivering
		c.ObservedGeneration = o.Generation
		meta.SetStatusCondition(&o.Status.Conditions, c)
		w.e.metrics.writes.WithLabelValues(w.key.Namespace, w.key.Name).Inc()
		return w.e.opts.Client.Status().Update(ctx, &o)
	})
	switch {
	case err == nil:
		w.mu.Lock()
		w.st.written, w.st.writtenMark = w.e.opts.Now(), m.ResourceVersion
		w.mu.Unlock()
	case apierrors.IsNotFound(err):
	default:
		w.mu.Lock()
		w.st.dirty = true
		w.mu.Unlock()
		w.e.opts.Log.Error("writing output status", "output", w.key.String(), "error", err.Error())
	}
}

// rebuildOpen fills a Resender's set of open findings from the stored
// events, so that after a restart they keep firing: every open finding
// the output matches, read once with details when it has a filter.
func (w *worker) rebuildOpen(ctx context.Context) {
	var list zenv1.ZenAgentEventList
	opts := []client.ListOption{}
	w.mu.Lock()
	m := w.matcher
	w.mu.Unlock()
	if m.Namespace != "" {
		opts = append(opts, client.InNamespace(m.Namespace))
	}
	if err := w.e.events.List(ctx, &list, opts...); err != nil {
		w.e.opts.Log.Error("listing open findings to resend", "output", w.key.String(), "error", err.Error())
		return
	}
	open := map[types.NamespacedName]bool{}
	for i := range list.Items {
		ev := &list.Items[i]
		if ev.Status.State == zenv1.StateResolved || !m.Cheap(ev) {
			continue
		}
		if m.HasFilter() {
			var full zenv1.ZenAgentEvent
			if err := w.e.opts.Reader.Get(ctx, key(ev), &full); err != nil {
				continue
			}
			if ok, _ := m.Filter(ctx, &full); !ok {
				continue
			}
		}
		open[key(ev)] = true
	}
	w.mu.Lock()
	for k := range open {
		w.open[k] = true
	}
	w.mu.Unlock()
}

// resend sends the open findings again so that the receiver does not
// forget them; a failure is noted and left to the next round.
func (w *worker) resend(ctx context.Context) {
	w.mu.Lock()
	m, n := w.matcher, w.notifier
	keys := make([]types.NamespacedName, 0, len(w.open))
	for k := range w.open {
		keys = append(keys, k)
	}
	w.mu.Unlock()
	var ds []Delivery
	for _, k := range keys {
		ev, ok := w.e.event(ctx, k)
		if !ok || ev.Status.State == zenv1.StateResolved || !m.Cheap(ev) {
			w.mu.Lock()
			delete(w.open, k)
			w.mu.Unlock()
			continue
		}
		ds = append(ds, Delivery{Event: ev, Trigger: TriggerCreated})
	}
	for len(ds) > 0 {
		b := ds[:min(len(ds), maxBatch)]
		ds = ds[len(b):]
		if _, err := n.Notify(ctx, b); err != nil {
			w.note(fmt.Errorf("resending %d open findings: %w", len(b), err), true)
			return
		}
	}
}
