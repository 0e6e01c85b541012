package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

// maxConflicts bounds optimistic-concurrency retries within one attempt;
// past it the attempt fails as retryable and backs off.
const maxConflicts = 5

// apply makes one attempt at op: create the object with the delta as its
// status when it may not exist (one request: ZenAgentEvent has no status
// subresource, so a create keeps the status it carries), otherwise add the
// delta to the stored status with a merge patch.
func (w *Writer) apply(ctx context.Context, op *Op) (Result, error) {
	return w.applyOnce(ctx, op, false)
}

// applyOnce recreates at most once per attempt, so an object that vanishes
// again and again fails the attempt instead of looping.
func (w *Writer) applyOnce(ctx context.Context, op *Op, recreated bool) (Result, error) {
	res := Result{Namespace: op.Event.Namespace}
	if !op.Exists {
		status := applyDelta(zenv1.ZenAgentEventStatus{}, op.Delta)
		rv, err := w.create(ctx, op, status)
		switch {
		case err == nil:
			// The create carried the whole delta: the first occurrence is
			// complete after this one request.
			op.Exists, res.Created = true, true
			op.Hint = &Hint{ResourceVersion: rv, Status: status}
			op.Delta = Delta{}
			res.Namespace, res.Hint = op.Event.Namespace, op.Hint
			w.metrics.EventsCreated.WithLabelValues(op.Event.Spec.Source, string(op.Event.Spec.Category), string(op.Event.Spec.Severity)).Inc()
			return res, nil
		case apierrors.IsAlreadyExists(err):
			// Another replica or an earlier run stored it: a dedup hit.
			op.Exists, op.Hint = true, nil
			w.metrics.AlreadyExists.WithLabelValues(op.Event.Spec.Source).Inc()
			if op.SingleOccurrence {
				// The stored event counts the one occurrence already.
				op.Delta = Delta{}
				return res, nil
			}
		default:
			return res, err
		}
		res.Namespace = op.Event.Namespace
		if op.DeferStatus {
			res.Unapplied, op.Delta = op.Delta, Delta{}
			res.Hint = op.Hint
			return res, nil
		}
	}
	for range maxConflicts {
		if op.Hint == nil {
			hint, err := w.read(ctx, op.Event)
			if apierrors.IsNotFound(err) && !recreated {
				// Deleted underneath us (retention, a user): the finding
				// still happened, so store it again.
				op.Exists = false
				return w.applyOnce(ctx, op, true)
			}
			if err != nil {
				return res, err
			}
			op.Hint = hint
		}
		if expired(op) {
			res.WindowExpired = true
			return res, nil
		}
		status := applyDelta(op.Hint.Status, op.Delta)
		rv, err := w.patchStatus(ctx, op.Event, op.Hint.ResourceVersion, status)
		switch {
		case err == nil:
			res.Hint = &Hint{ResourceVersion: rv, Status: status}
			op.Hint = res.Hint
			op.Delta = Delta{} // applied: a follow-up replay must not add it twice
			return res, nil
		case apierrors.IsConflict(err), apierrors.IsNotFound(err):
			op.Hint = nil // stale; read and try again
		default:
			return res, err
		}
	}
	return res, apierrors.NewConflict(zenv1.ZenAgentEventGroupResource, op.Event.Name, errors.New("status kept changing underneath"))
}

// create creates op.Event with status, moving it to EventNamespace when its
// own namespace no longer exists. It returns the new resourceVersion.
func (w *Writer) create(ctx context.Context, op *Op, status zenv1.ZenAgentEventStatus) (string, error) {
	obj := op.Event.DeepCopy()
	obj.Status = status
	err := w.timed(ctx, "create", func(ctx context.Context) error { return w.client.Create(ctx, obj) })
	if isNamespaceMissing(err) && obj.Namespace != w.opts.EventNamespace {
		obj.Namespace, obj.ResourceVersion = w.opts.EventNamespace, ""
		op.Event.Namespace = w.opts.EventNamespace
		w.metrics.NamespaceMoved.Inc()
		err = w.timed(ctx, "create", func(ctx context.Context) error { return w.client.Create(ctx, obj) })
	}
	return obj.ResourceVersion, err
}

func (w *Writer) read(ctx context.Context, ev *zenv1.ZenAgentEvent) (*Hint, error) {
	var cur zenv1.ZenAgentEvent
	err := w.timed(ctx, "get", func(ctx context.Context) error {
		return w.client.Get(ctx, client.ObjectKey{Namespace: ev.Namespace, Name: ev.Name}, &cur)
	})
	if err != nil {
		return nil, err
	}
	return &Hint{ResourceVersion: cur.ResourceVersion, Status: cur.Status}, nil
}

// patchStatus writes status with a merge patch that carries the
// resourceVersion it was computed from, so a concurrent writer's change is
// never overwritten: the API server answers Conflict instead. The patch
// goes to the object itself (there is no status subresource) and names
// status fields only, so it never touches the spec.
func (w *Writer) patchStatus(ctx context.Context, ev *zenv1.ZenAgentEvent, rv string, status zenv1.ZenAgentEventStatus) (string, error) {
	body, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"resourceVersion": rv},
		"status":   statusPatch(status),
	})
	if err != nil {
		return "", err
	}
	obj := &zenv1.ZenAgentEvent{ObjectMeta: metav1.ObjectMeta{Namespace: ev.Namespace, Name: ev.Name}}
	err = w.timed(ctx, "patch_status", func(ctx context.Context) error {
		return w.client.Patch(ctx, obj, client.RawPatch(types.MergePatchType, body))
	})
	if err == nil {
		w.metrics.StatusWrites.Inc()
	}
	return obj.ResourceVersion, err
}

// statusPatch spells out resolvedAt as null when unset, so reopening an
// event clears it.
func statusPatch(s zenv1.ZenAgentEventStatus) map[string]any {
	p := map[string]any{"count": s.Count, "firstSeen": s.FirstSeen, "lastSeen": s.LastSeen, "state": s.State, "resolvedAt": nil}
	if s.ResolvedAt != nil {
		p["resolvedAt"] = s.ResolvedAt
	}
	return p
}

// applyDelta returns status with d added.
func applyDelta(s zenv1.ZenAgentEventStatus, d Delta) zenv1.ZenAgentEventStatus {
	s = *s.DeepCopy()
	s.Count += d.Count
	if !d.FirstSeen.IsZero() && (s.FirstSeen == nil || d.FirstSeen.Before(s.FirstSeen.Time)) {
		s.FirstSeen = timePtr(d.FirstSeen)
	}
	if !d.LastSeen.IsZero() && (s.LastSeen == nil || d.LastSeen.After(s.LastSeen.Time)) {
		s.LastSeen = timePtr(d.LastSeen)
	}
	switch {
	case !d.ResolvedAt.IsZero():
		// An occurrence before the resolution makes it a new one.
		if s.State != zenv1.StateResolved || d.Count > 0 {
			s.State, s.ResolvedAt = zenv1.StateResolved, timePtr(d.ResolvedAt)
		}
	case d.Count > 0:
		s.State, s.ResolvedAt = zenv1.StateOpen, nil
	}
	if s.State == "" {
		s.State = zenv1.StateOpen
	}
	return s
}

// expired reports whether op's occurrences came more than op.Window after
// the stored event was last seen.
func expired(op *Op) bool {
	last := op.Hint.Status.LastSeen
	return op.Window > 0 && op.Delta.Count > 0 && last != nil && op.Delta.FirstSeen.Sub(last.Time) > op.Window
}

func timePtr(t time.Time) *metav1.Time {
	mt := metav1.NewTime(t.UTC().Truncate(time.Second))
	return &mt
}
