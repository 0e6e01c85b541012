package webhook

import (
	"errors"
	"io"
	"sync/atomic"
)

// Budget bounds the body bytes held by every request at once, read or
// being decoded (MAX_INFLIGHT_BYTES). Each endpoint's own limit bounds one
// body; without a shared bound, memory would grow as concurrency times
// that limit. A request that finds no room is answered 503 with
// Retry-After, so the sender retries instead of the daemon running out of
// memory.
type Budget struct {
	max  int64
	used atomic.Int64
}

// NewBudget allows max bytes in flight.
func NewBudget(max int64) *Budget { return &Budget{max: max} }

// InUse is the number of bytes reserved now.
func (b *Budget) InUse() int64 { return b.used.Load() }

// take reserves n bytes if they fit, without waiting: a request that must
// wait for memory would hold its connection and its sender's patience.
func (b *Budget) take(n int64) bool {
	for {
		u := b.used.Load()
		if u+n > b.max {
			return false
		}
		if b.used.CompareAndSwap(u, u+n) {
			return true
		}
	}
}

// reservation is what one request holds of a Budget; the zero value of a
// nil Budget holds nothing and always has room.
type reservation struct {
	budget *Budget
	held   int64
}

// ensure makes the reservation at least n bytes; false when the budget has
// no room. It reserves at least minStep more at a time, so a body read in
// small pieces costs a few atomic operations, not one a read.
func (r *reservation) ensure(n int64) bool {
	if r.budget == nil || n <= r.held {
		return true
	}
	need := n - r.held
	switch more := max(need, minStep); {
	case r.budget.take(more):
		r.held += more
	case more > need && r.budget.take(need): // the last bytes below the budget still fit
		r.held += need
	default:
		return false
	}
	return true
}

// release gives back everything reserved; call it once the body and what
// was decoded from it are no longer used.
func (r *reservation) release() {
	if r.budget != nil && r.held > 0 {
		r.budget.used.Add(-r.held)
		r.held = 0
	}
}

// minStep is the smallest reservation increment.
const minStep = 64 << 10

// errNoBudget stops a body read when MAX_INFLIGHT_BYTES is reached.
var errNoBudget = errors.New("the in-flight body budget is exhausted")

// budgetReader reserves, before each read, the room the read may fill:
// the buffer's free capacity, which bytes.Buffer.ReadFrom has already
// allocated, so the reservation follows the memory actually held.
type budgetReader struct {
	r        io.Reader
	res      *reservation
	consumed int64 // bytes already in the buffer
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if !b.res.ensure(b.consumed + int64(len(p))) {
		return 0, errNoBudget
	}
	n, err := b.r.Read(p)
	b.consumed += int64(n)
	return n, err
}
