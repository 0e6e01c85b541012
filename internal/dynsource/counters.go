package dynsource

import (
	"context"
	"log/slog"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kube-zen/zen-watcher/api/v1alpha1"
)

// StatusInterval is how often a replica adds its counts to the sources'
// status: coalesced, never once per request.
const StatusInterval = 3 * time.Second

// delta is what one replica counted for one source since its last write.
type delta struct {
	received, stored, rejected int64
	last                       time.Time
}

func (d delta) zero() bool { return d.received == 0 && d.stored == 0 && d.rejected == 0 }

// Counters collects per-source counts on this replica and adds them to
// each ZenSource's status every StatusInterval.
type Counters struct {
	client client.Client // reads and writes the API server directly
	log    *slog.Logger

	mu      sync.Mutex
	pending map[types.NamespacedName]delta
}

// NewCounters writes through c, which must read from the API server (not a
// cache): an update is made on the version just read.
func NewCounters(c client.Client, log *slog.Logger) *Counters {
	return &Counters{client: c, log: log, pending: map[types.NamespacedName]delta{}}
}

// Add counts items of key, the latest received at at.
func (c *Counters) Add(key types.NamespacedName, received, stored, rejected int64, at time.Time) {
	c.mu.Lock()
	d := c.pending[key]
	d.received += received
	d.stored += stored
	d.rejected += rejected
	if at.After(d.last) {
		d.last = at
	}
	c.pending[key] = d
	c.mu.Unlock()
}

// Forget drops what was counted for a deleted source.
func (c *Counters) Forget(key types.NamespacedName) {
	c.mu.Lock()
	delete(c.pending, key)
	c.mu.Unlock()
}

// Run writes the counts every StatusInterval until ctx ends, then once
// more.
func (c *Counters) Run(ctx context.Context) error {
	t := time.NewTicker(StatusInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			c.flush(final)
			cancel()
			return nil
		case <-t.C:
			c.flush(ctx)
		}
	}
}

// flush adds each source's pending counts to its status. A write that
// fails keeps its counts for the next round; a source gone drops them.
func (c *Counters) flush(ctx context.Context) {
	c.mu.Lock()
	batch := c.pending
	c.pending = make(map[types.NamespacedName]delta, len(batch))
	c.mu.Unlock()
	for key, d := range batch {
		if d.zero() {
			continue
		}
		err := c.write(ctx, key, d)
		switch {
		case err == nil, apierrors.IsNotFound(err):
		default:
			if !apierrors.IsConflict(err) {
				c.log.Warn("writing ZenSource counters", "namespace", key.Namespace, "name", key.Name, "error", err.Error())
			}
			c.Add(key, d.received, d.stored, d.rejected, d.last)
		}
	}
}

func (c *Counters) write(ctx context.Context, key types.NamespacedName, d delta) error {
	src := &v1alpha1.ZenSource{}
	if err := c.client.Get(ctx, key, src); err != nil {
		return err
	}
	src.Status.Received += d.received
	src.Status.Stored += d.stored
	src.Status.Rejected += d.rejected
	if !d.last.IsZero() && (src.Status.LastEventTime == nil || d.last.After(src.Status.LastEventTime.Time)) {
		t := metav1.NewTime(d.last)
		src.Status.LastEventTime = &t
	}
	return c.client.Status().Update(ctx, src)
}
