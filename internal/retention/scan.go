package retention

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

// scanResult is the compact outcome of one scan.
type scanResult struct {
	expired []record // last activity before the TTL cutoff
	kept    []record // the rest; only collected when there is a cap
	scanned int
	bytes   int64 // eventSize of every event scanned
}

// scan lists every event in scope once. A scan long enough for etcd to
// compact away its snapshot gets 410 Gone on the next page; it is restarted
// from the beginning once, since a second expiry means something is wrong.
func (c *Collector) scan(ctx context.Context, now time.Time) (scanResult, error) {
	var cutoff time.Time // zero: TTL disabled, nothing is before it
	if c.opts.TTL > 0 {
		cutoff = now.Add(-c.opts.TTL)
	}
	s, err := c.scanPages(ctx, cutoff)
	if err != nil && (apierrors.IsResourceExpired(err) || apierrors.IsGone(err)) {
		c.log.Warn("list continue token expired, restarting scan", "scanned", s.scanned, "error", err.Error())
		s, err = c.scanPages(ctx, cutoff)
	}
	return s, err
}

// scanPages is one pass over the events, page by page. Each page is a new
// list, so the previous page's objects can be collected while the next is
// decoded; only compact records outlive their page.
func (c *Collector) scanPages(ctx context.Context, cutoff time.Time) (scanResult, error) {
	var s scanResult
	namespaces := map[string]string{} // interns namespace strings
	opts := []client.ListOption{client.Limit(c.opts.PageSize)}
	if c.opts.Namespace != "" {
		opts = append(opts, client.InNamespace(c.opts.Namespace))
	}
	cont := ""
	for {
		page := &zenv1.ZenAgentEventList{}
		if err := c.client.List(ctx, page, append(opts, client.Continue(cont))...); err != nil {
			return s, fmt.Errorf("listing ZenAgentEvents after %d: %w", s.scanned, err)
		}
		for i := range page.Items {
			ev := &page.Items[i]
			s.scanned++
			size := eventSize(ev)
			s.bytes += int64(size)
			active := lastActivity(ev)
			expired := !cutoff.IsZero() && active.Before(cutoff)
			if !expired && c.opts.MaxEvents <= 0 && c.opts.MaxStoredBytes <= 0 {
				continue // without a cap, only expired events need remembering
			}
			ns, ok := namespaces[ev.Namespace]
			if !ok {
				ns = ev.Namespace
				namespaces[ns] = ns
			}
			r := newRecord(ev, ns, active, size)
			if expired {
				s.expired = append(s.expired, r)
			} else {
				s.kept = append(s.kept, r)
			}
		}
		if cont = page.Continue; cont == "" {
			return s, nil
		}
	}
}
