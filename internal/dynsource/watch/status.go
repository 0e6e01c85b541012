package watch

import (
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/source/watcher"
)

// Reasons of a watch source's Ready condition besides those of v1alpha1.
const (
	// ReasonPending: the source is declared but its watch has not started.
	ReasonPending = "Pending"
	// ReasonSyncing: the watch is loading its first list.
	ReasonSyncing = "Syncing"
	// ReasonInvalidSelector: a selector does not parse, or the API server
	// does not support a field of the field selector for this kind.
	ReasonInvalidSelector = "InvalidSelector"
	// ReasonWatchFailed: listing or watching fails for another reason; the
	// informer retries with backoff.
	ReasonWatchFailed = "WatchFailed"
)

// Status is a watch source's Ready condition as the runner sees it.
type Status struct {
	// ObservedGeneration is the generation of the spec in effect.
	ObservedGeneration int64
	// Ready is True once the watch has listed and is watching; False with
	// Reason and Message when it cannot run; Unknown while it starts.
	Ready   metav1.ConditionStatus
	Reason  string
	Message string
}

// Condition is Status as the Ready condition of a ZenSource.
func (s Status) Condition() metav1.Condition {
	return metav1.Condition{Type: v1alpha1.ConditionReady, Status: s.Ready, Reason: s.Reason, Message: s.Message, ObservedGeneration: s.ObservedGeneration}
}

// condition is the part of Status a source's own run decides.
type condition struct {
	ready           metav1.ConditionStatus
	reason, message string
}

// state is one running source: its spec, its run, and what it reports.
type state struct {
	src    Source
	cancel func()
	done   chan struct{}

	mu       sync.Mutex
	cond     condition
	watcher  *watcher.Watcher // while a watch runs
	resource string           // what it watches, for messages
	notified *Status          // the status the last OnChange was for
}

func (s *state) set(ready metav1.ConditionStatus, reason, message string) {
	s.mu.Lock()
	s.cond, s.watcher = condition{ready: ready, reason: reason, message: message}, nil
	s.mu.Unlock()
}

func (s *state) setWatcher(w *watcher.Watcher, resource string) {
	s.mu.Lock()
	s.watcher, s.resource = w, resource
	s.mu.Unlock()
}

// status reports the run's condition or, while a watch runs, the watch's.
func (s *state) status() Status {
	s.mu.Lock()
	cond, w, resource := s.cond, s.watcher, s.resource
	s.mu.Unlock()
	if w != nil {
		cond = watchCondition(w, resource)
	}
	return Status{ObservedGeneration: s.src.Generation, Ready: cond.ready, Reason: cond.reason, Message: cond.message}
}

// watchCondition reads a running watch's state. A failing list or watch
// is retried by the informer with backoff, so each of these recovers by
// itself once its cause is gone (a role granted, a CRD fixed).
func watchCondition(w *watcher.Watcher, resource string) condition {
	synced, err := w.Status()
	switch {
	case err != nil && apierrors.IsForbidden(err):
		return condition{metav1.ConditionFalse, v1alpha1.ReasonForbidden, fmt.Sprintf(
			"zen-watcher may not list and watch %s: a watch source sees only what the daemon's RBAC allows; grant its ServiceAccount get, list and watch on the kind (the chart's dynamicSources.watchRules), and the watch resumes by itself: %v",
			resource, err)}
	case err != nil && apierrors.IsBadRequest(err):
		return condition{metav1.ConditionFalse, ReasonInvalidSelector, fmt.Sprintf("the API server refused to list %s: %v", resource, err)}
	case err != nil:
		return condition{metav1.ConditionFalse, ReasonWatchFailed, fmt.Sprintf("listing or watching %s fails; retrying with backoff: %v", resource, err)}
	case !synced:
		return condition{metav1.ConditionUnknown, ReasonSyncing, "loading the first list of " + resource}
	}
	return condition{metav1.ConditionTrue, v1alpha1.ReasonReady, "watching " + resource}
}
