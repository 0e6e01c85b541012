package retention

import (
	"cmp"
	"math"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/types"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// record is what the collector remembers of an event between the scan and
// the deletes: enough to order it for the cap and to delete it only if it
// is unchanged. It is a few hundred bytes, where a full event can be 32 KiB.
type record struct {
	namespace       string
	name            string
	uid             types.UID
	resourceVersion string
	// at is when the event last mattered, in unix nanoseconds: resolvedAt
	// for a Resolved event (falling back to last activity), last activity
	// for an Open one.
	at       int64
	rank     int8 // finding.Rank of the severity; -1 for an unknown one
	resolved bool
	size     int32 // eventSize, bytes
}

// lastActivity is when the event was last seen, falling back through the
// first occurrence and the tool's detection time to the object's creation,
// so that events written by older or partial writers still age out.
func lastActivity(ev *zenv1.ZenAgentEvent) time.Time {
	switch {
	case ev.Status.LastSeen != nil && !ev.Status.LastSeen.IsZero():
		return ev.Status.LastSeen.Time
	case ev.Status.FirstSeen != nil && !ev.Status.FirstSeen.IsZero():
		return ev.Status.FirstSeen.Time
	case !ev.Spec.DetectedAt.IsZero():
		return ev.Spec.DetectedAt.Time
	}
	return ev.CreationTimestamp.Time
}

// newRecord condenses ev; namespace is passed in already interned, because
// thousands of events share a handful of namespaces.
func newRecord(ev *zenv1.ZenAgentEvent, namespace string, active time.Time, size int) record {
	r := record{
		size:            int32(min(size, math.MaxInt32)),
		namespace:       namespace,
		name:            ev.Name,
		uid:             ev.UID,
		resourceVersion: ev.ResourceVersion,
		at:              active.UnixNano(),
		rank:            int8(finding.Rank(ev.Spec.Severity)),
		resolved:        ev.Status.State == zenv1.StateResolved,
	}
	if r.resolved && ev.Status.ResolvedAt != nil && !ev.Status.ResolvedAt.IsZero() {
		r.at = ev.Status.ResolvedAt.UnixNano()
	}
	return r
}

// capOrder orders records from the first to delete to the last: Resolved
// events (their finding is gone, so they carry the least information),
// oldest first; then Open events from the lowest severity up, oldest first
// within a severity. Namespace and name break ties so runs are repeatable.
func capOrder(a, b record) int {
	if a.resolved != b.resolved {
		if a.resolved {
			return -1
		}
		return 1
	}
	if !a.resolved {
		if c := cmp.Compare(a.rank, b.rank); c != 0 {
			return c
		}
	}
	if c := cmp.Compare(a.at, b.at); c != 0 {
		return c
	}
	if c := cmp.Compare(a.rank, b.rank); c != 0 {
		return c
	}
	if c := cmp.Compare(a.namespace, b.namespace); c != 0 {
		return c
	}
	return cmp.Compare(a.name, b.name)
}

// sortForCap puts recs in deletion order for the cap, in place.
func sortForCap(recs []record) { slices.SortFunc(recs, capOrder) }
