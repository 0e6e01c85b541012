package store

import (
	"time"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/ack"
)

// Op is one upsert of one event: create it with Delta as its status if it
// does not exist, otherwise add Delta to its status. Creating and counting
// are one operation so that a
// create that loses a race (AlreadyExists) or an event deleted underneath
// (NotFound) are handled where the API answers, without another round trip
// through the pipeline.
type Op struct {
	// Event is the whole object to create: name, namespace, labels and spec.
	// Its status is ignored; Delta says what to add.
	Event *zenv1.ZenAgentEvent
	// Delta is what this op adds to the status.
	Delta Delta
	// Exists is the pipeline's belief that the object exists already; a
	// wrong belief costs one extra request, never a wrong count.
	Exists bool
	// Hint is the last status and resourceVersion this process wrote, so a
	// repeat can be patched without reading the object first.
	Hint *Hint
	// Window, when set, makes the op stop without writing if the stored
	// event's lastSeen is more than Window before Delta.FirstSeen: the
	// finding recurred after DEDUP_WINDOW and belongs to a new event.
	Window time.Duration
	// DeferStatus makes a create that finds the event stored already
	// (AlreadyExists) stop there: its delta is handed back in
	// Result.Unapplied, so the caller can fold it into the next coalesced
	// status write instead of paying a write of its own. A create that
	// succeeds carries its delta whatever this says.
	DeferStatus bool
	// SingleOccurrence marks an event whose key names one occurrence (see
	// finding.Finding): when the create finds it stored already, that
	// event counts the occurrence, and nothing is added.
	SingleOccurrence bool
	// Acks are settled with the outcome once Done has returned: one per
	// finding whose occurrence this op carries. Done may move them to a
	// follow-up op, or back to the pipeline, when this op wrote nothing.
	Acks []*ack.Ack
	// Done, when set, is called once with the outcome. It may return a
	// follow-up op, which the same worker runs at once.
	Done func(Result) *Op

	attempts int
}

// Delta is the change one op makes to an event's status.
type Delta struct {
	// Count is the number of occurrences to add; zero for a pure resolution.
	Count int64
	// FirstSeen and LastSeen bound the occurrences in Count.
	FirstSeen, LastSeen time.Time
	// ResolvedAt, when set, marks the event Resolved. When unset and Count
	// is positive, a Resolved event is reopened: the finding is back.
	ResolvedAt time.Time
}

// Merge folds a later delta into d.
func (d *Delta) Merge(later Delta) {
	if d.Count == 0 && d.FirstSeen.IsZero() {
		d.FirstSeen = later.FirstSeen
	} else if !later.FirstSeen.IsZero() && later.FirstSeen.Before(d.FirstSeen) {
		d.FirstSeen = later.FirstSeen
	}
	if later.LastSeen.After(d.LastSeen) {
		d.LastSeen = later.LastSeen
	}
	d.Count += later.Count
	switch {
	case !later.ResolvedAt.IsZero():
		d.ResolvedAt = later.ResolvedAt
	case later.Count > 0:
		d.ResolvedAt = time.Time{} // seen again after the resolution: open
	}
}

// Hint caches what this process last wrote to one event.
type Hint struct {
	ResourceVersion string
	Status          zenv1.ZenAgentEventStatus
}

// Result is the outcome of an op.
type Result struct {
	// Namespace is where the event ended up; it differs from the op's when
	// the resource's namespace no longer exists.
	Namespace string
	// Hint is the status as written, for the next op on the same event.
	Hint *Hint
	// Created is true when this op created the object.
	Created bool
	// Unapplied is the delta a DeferStatus create that met AlreadyExists
	// did not write.
	Unapplied Delta
	// WindowExpired is true when the op stopped because of Window.
	WindowExpired bool
	// Err is set when the op failed every retry and was dead-lettered.
	Err error
}
