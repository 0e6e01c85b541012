package retention

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

// Reason is why an event was deleted; it is the reason label of
// zen_watcher_gc_deletions_total.
type Reason string

// Reasons.
const (
	ReasonTTL   Reason = "ttl"
	ReasonCap   Reason = "cap"
	ReasonBytes Reason = "bytes"
)

// maxConsecutiveFailures ends a run whose deletes keep failing (missing
// RBAC, an unreachable API server) instead of logging one error per event.
const maxConsecutiveFailures = 5

// outcome is what became of one delete.
type outcome int

const (
	deleted outcome = iota
	gone            // already deleted by someone else
	changed         // updated or recreated since the scan: precondition failed
	failed
)

// deleteRecord deletes the event r describes only if it still has the UID
// and resourceVersion seen in the scan, so a finding that recurred after
// the scan (raising count and lastSeen) survives.
func (c *Collector) deleteRecord(ctx context.Context, r record) (outcome, error) {
	ev := &zenv1.ZenAgentEvent{ObjectMeta: metav1.ObjectMeta{Namespace: r.namespace, Name: r.name}}
	uid, rv := r.uid, r.resourceVersion
	err := c.client.Delete(ctx, ev, client.Preconditions{UID: &uid, ResourceVersion: &rv})
	switch {
	case err == nil:
		return deleted, nil
	case apierrors.IsNotFound(err):
		return gone, nil
	case apierrors.IsConflict(err):
		return changed, nil
	}
	return failed, fmt.Errorf("deleting ZenAgentEvent %s/%s: %w", r.namespace, r.name, err)
}

// deleter runs the deletes of one run, counting, logging and deciding when
// to give up.
type deleter struct {
	c                     *Collector
	byReason              map[Reason]int
	skipped, failures     int
	attempts, consecutive int
	lastErr               error
}

func (c *Collector) newDeleter() *deleter { return &deleter{c: c, byReason: map[Reason]int{}} }

// delete deletes r and reports what happened. Its error means the run must
// stop: ctx ended or too many deletes in a row failed.
func (d *deleter) delete(ctx context.Context, r record, reason Reason) (outcome, error) {
	if err := ctx.Err(); err != nil {
		return failed, err
	}
	d.attempts++
	out, err := d.c.deleteRecord(ctx, r)
	log := d.c.log.With("namespace", r.namespace, "name", r.name, "reason", string(reason))
	switch out {
	case deleted:
		d.consecutive = 0
		d.byReason[reason]++
		d.c.metrics.deletions.WithLabelValues(string(reason)).Inc()
		log.Debug("event deleted")
	case gone:
		d.consecutive = 0
		d.skipped++
		log.Info("event delete skipped: already gone")
	case changed:
		d.consecutive = 0
		d.skipped++
		log.Info("event delete skipped: changed since scan")
	case failed:
		if ctx.Err() != nil {
			return failed, ctx.Err()
		}
		d.failures++
		d.consecutive++
		d.lastErr = err
		log.Warn("event delete failed", "error", err.Error())
		if d.consecutive >= maxConsecutiveFailures {
			return failed, fmt.Errorf("giving up after %d consecutive failed deletes: %w", d.consecutive, err)
		}
	}
	return out, nil
}

// tally adds the deleter's counts to res.
func (d *deleter) tally(res Result) Result {
	res.DeletedTTL += d.byReason[ReasonTTL]
	res.DeletedCap += d.byReason[ReasonCap]
	res.DeletedBytes += d.byReason[ReasonBytes]
	res.Skipped += d.skipped
	res.Failed += d.failures
	return res
}
