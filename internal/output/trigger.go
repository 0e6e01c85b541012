package output

import (
	"time"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	zenfinding "github.com/kube-zen/zen-watcher/internal/finding"
)

// changeTriggers says which deliveries a change of a stored event calls
// for. old is nil for an event seen for the first time. A finding stored
// already resolved is Created and Resolved at once; one that reopens is
// Created again, so that a receiver that closed it opens it anew.
func changeTriggers(old, cur *zenv1.ZenAgentEvent) []Trigger {
	resolved := cur.Status.State == zenv1.StateResolved
	if old == nil {
		if resolved {
			return []Trigger{TriggerCreated, TriggerResolved}
		}
		return []Trigger{TriggerCreated}
	}
	wasResolved := old.Status.State == zenv1.StateResolved
	switch {
	case resolved && !wasResolved:
		return []Trigger{TriggerResolved}
	case !resolved && wasResolved:
		return []Trigger{TriggerCreated}
	case resolved:
		return nil
	}
	if zenfinding.Rank(cur.Spec.Severity) > zenfinding.Rank(old.Spec.Severity) || countLevel(cur.Status.Count) > countLevel(old.Status.Count) {
		return []Trigger{TriggerEscalated}
	}
	return nil
}

// recoveryTriggers says what an event changed after an output's watermark
// calls for, when its state at the watermark is unknown (after a restart
// or a failover). createdBefore is the watermark's newest creation time.
// It errs towards delivering: a finding created in the watermark's own
// second is Created again, and an open finding counted 10 times or more
// is Escalated once, because whether it crossed a power of 10 since
// cannot be told from what is stored.
func recoveryTriggers(cur *zenv1.ZenAgentEvent, createdBefore time.Time) []Trigger {
	created := createdBefore.IsZero() || !cur.CreationTimestamp.Time.Before(createdBefore)
	switch {
	case cur.Status.State == zenv1.StateResolved && created:
		return []Trigger{TriggerCreated, TriggerResolved}
	case cur.Status.State == zenv1.StateResolved:
		return []Trigger{TriggerResolved}
	case created:
		return []Trigger{TriggerCreated}
	case cur.Status.Count >= 10:
		return []Trigger{TriggerEscalated}
	}
	return nil
}

// countLevel is the number of powers of 10 a count has reached: 0 below
// 10, 1 from 10, 2 from 100.
func countLevel(n int64) int {
	l := 0
	for n >= 10 {
		n /= 10
		l++
	}
	return l
}

// storedAt is when the change behind a delivery reached the API server, as
// near as the event tells: the start of delivery latency. first says the
// event is new to the engine (just created, or found after a restart), so
// its creation time is when it was stored; otherwise the change was
// stored when it was observed, but for a resolution, which carries its time.
func storedAt(e *zenv1.ZenAgentEvent, t Trigger, first bool, observed time.Time) time.Time {
	at := observed
	switch {
	case t == TriggerCreated && first && !e.CreationTimestamp.IsZero():
		at = e.CreationTimestamp.Time
	case t == TriggerResolved && e.Status.ResolvedAt != nil:
		at = e.Status.ResolvedAt.Time
	}
	if at.After(observed) {
		return observed
	}
	return at
}
