package output

import (
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// Mark is a point in the stream of ZenAgentEvent changes: every change up
// to ResourceVersion was seen, and CreatedBefore is the newest creation
// time among them. It is what an output's progress records.
type Mark struct {
	ResourceVersion string
	CreatedBefore   time.Time
}

// item is one pending delivery: which event, why, and where the stream
// stood just before the change that called for it.
type item struct {
	key     types.NamespacedName
	trigger Trigger
	rank    int // severity rank when enqueued
	seq     uint64
	prev    Mark
	since   time.Time // when the change was stored, for latency
}

// backlog holds an output's pending deliveries, at most limit. It keeps
// one FIFO per severity so that, when full, it gives up the oldest item
// of the lowest severity present: a flood of INFO findings cannot push
// out a CRITICAL one. Items come out in arrival order. Not safe for
// concurrent use; the output's lock guards it.
type backlog struct {
	limit   int
	queues  [5][]*item // by severity rank, oldest first
	pending map[pendingKey]bool
	n       int
}

type pendingKey struct {
	key     types.NamespacedName
	trigger Trigger
}

func newBacklog(limit int) *backlog {
	return &backlog{limit: max(limit, 1), pending: map[pendingKey]bool{}}
}

// push adds it, unless the same delivery is already waiting, in which
// case the older one stands for both. It returns the item given up to
// make room, if any: possibly it itself.
func (b *backlog) push(it *item) (dropped *item) {
	pk := pendingKey{it.key, it.trigger}
	if b.pending[pk] {
		return nil
	}
	if b.n >= b.limit {
		low := it.rank
		for r := 0; r < it.rank; r++ {
			if len(b.queues[r]) > 0 {
				low = r
				break
			}
		}
		if low == it.rank && len(b.queues[low]) == 0 {
			return it
		}
		dropped = b.queues[low][0]
		b.queues[low] = b.queues[low][1:]
		delete(b.pending, pendingKey{dropped.key, dropped.trigger})
		b.n--
	}
	b.queues[it.rank] = append(b.queues[it.rank], it)
	b.pending[pk] = true
	b.n++
	return dropped
}

// pop removes and returns up to n items, oldest first.
func (b *backlog) pop(n int) []*item {
	var out []*item
	for len(out) < n && b.n > 0 {
		best := -1
		for r := range b.queues {
			if len(b.queues[r]) > 0 && (best < 0 || b.queues[r][0].seq < b.queues[best][0].seq) {
				best = r
			}
		}
		it := b.queues[best][0]
		b.queues[best][0] = nil
		b.queues[best] = b.queues[best][1:]
		delete(b.pending, pendingKey{it.key, it.trigger})
		b.n--
		out = append(out, it)
	}
	return out
}

// oldest returns the item that arrived first, if any.
func (b *backlog) oldest() *item {
	var best *item
	for r := range b.queues {
		if len(b.queues[r]) > 0 && (best == nil || b.queues[r][0].seq < best.seq) {
			best = b.queues[r][0]
		}
	}
	return best
}

// len is the number of waiting items.
func (b *backlog) len() int { return b.n }

// BacklogSize is the default bound of an output's pending deliveries:
// about 10,000 × 150 bytes of memory per output at most, and hours of a
// busy cluster's findings for a receiver that is down.
const BacklogSize = 10_000
