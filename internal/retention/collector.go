package retention

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultPageSize = 500
	DefaultInterval = 5 * time.Minute
)

// startDelay is how long Run waits before its first run (or Interval, if
// shorter): long enough not to compete with the daemon's startup lists,
// short enough that a backlog starts shrinking right away.
const startDelay = 10 * time.Second

// Options configure a Collector.
type Options struct {
	// TTL is how long after its last activity an event is deleted; zero
	// disables expiry.
	TTL time.Duration
	// MaxEvents caps the number of events in scope; zero means no cap.
	MaxEvents int
	// MaxStoredBytes caps the approximate serialized size of the events in
	// scope (see eventSize); zero means no cap.
	MaxStoredBytes int64
	// Interval is the time between the end of one run and the start of the
	// next; DefaultInterval when zero.
	Interval time.Duration
	// PageSize is the number of events fetched per list request;
	// DefaultPageSize when zero. It bounds the collector's peak memory.
	PageSize int64
	// Namespace is the collector's scope: only events in it are counted
	// toward MaxEvents and deleted. Empty means every namespace, which is
	// what the daemon wants; tests scope a collector to their own namespace.
	Namespace string
}

// Result is what one run did.
type Result struct {
	// Scanned is the number of events the completed scan listed.
	Scanned int
	// DeletedTTL is the number deleted because they expired.
	DeletedTTL int
	// DeletedCap is the number deleted to bring the total down to MaxEvents.
	DeletedCap int
	// DeletedBytes is the number deleted to bring the stored bytes down to
	// MaxStoredBytes (beyond those the event cap deleted).
	DeletedBytes int
	// StoredBytes is the approximate serialized size of the events that
	// remain after the run.
	StoredBytes int64
	// Skipped is the number not deleted because they changed or vanished
	// after the scan; they are not errors.
	Skipped int
	// Failed is the number of deletes the API server refused or that did
	// not complete.
	Failed int
}

// Collector deletes expired events and enforces the event cap.
type Collector struct {
	client  client.Client
	opts    Options
	metrics *metrics
	log     *slog.Logger
	now     func() time.Time
}

// New builds a Collector. c must be an uncached client, because a cached
// one ignores Limit and Continue and would load every event at once. The
// metrics are registered with reg (nil: not registered); now is the clock
// (nil: time.Now) against which the TTL is measured.
func New(c client.Client, opts Options, reg prometheus.Registerer, log *slog.Logger, now func() time.Time) *Collector {
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Collector{client: c, opts: opts, metrics: newMetrics(reg, opts.MaxEvents, opts.MaxStoredBytes), log: log, now: now}
}

// Run collects shortly after it starts and then every Interval until ctx
// ends. A failed run is logged and counted; the next one tries again.
func (c *Collector) Run(ctx context.Context) {
	timer := time.NewTimer(min(startDelay, c.opts.Interval))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		start := time.Now()
		res, err := c.RunOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		attrs := []any{"scanned", res.Scanned, "deletedTTL", res.DeletedTTL, "deletedCap", res.DeletedCap,
			"deletedBytes", res.DeletedBytes, "storedBytes", res.StoredBytes,
			"skipped", res.Skipped, "failed", res.Failed, "duration", time.Since(start).String()}
		switch {
		case err != nil:
			c.log.Error("retention run failed", append(attrs, "error", err.Error())...)
		case res.DeletedTTL+res.DeletedCap+res.DeletedBytes+res.Skipped > 0:
			c.log.Info("retention run", attrs...)
		default:
			c.log.Debug("retention run", attrs...)
		}
		timer.Reset(c.opts.Interval)
	}
}

// RunOnce scans the events in scope, deletes the expired ones, then
// deletes the excess over MaxEvents and MaxStoredBytes in cap order. A run cut short by ctx
// returns ctx's error and is not counted in zen_watcher_gc_runs_total.
func (c *Collector) RunOnce(ctx context.Context) (Result, error) {
	res, err := c.collect(ctx)
	if ctx.Err() == nil {
		result := "success"
		if err != nil {
			result = "error"
		}
		c.metrics.runs.WithLabelValues(result).Inc()
		c.metrics.lastRun.Set(float64(c.now().UnixNano()) / 1e9)
	}
	return res, err
}

func (c *Collector) collect(ctx context.Context) (Result, error) {
	var res Result
	s, err := c.scan(ctx, c.now())
	res.Scanned = s.scanned
	if err != nil {
		return res, err
	}
	d := c.newDeleter()
	// Survivors are the events that will still exist after the TTL pass:
	// an expired event that changed since the scan stays, and counts.
	survivors, bytes := len(s.kept)+len(s.expired), s.bytes
	defer func() { c.metrics.storedBytes.Set(float64(bytes)) }()
	for _, r := range s.expired {
		out, err := d.delete(ctx, r, ReasonTTL)
		if err != nil {
			return d.tally(res), err
		}
		if out == deleted || out == gone {
			survivors--
			bytes -= int64(r.size)
		}
	}
	overCount := func() bool { return c.opts.MaxEvents > 0 && survivors > c.opts.MaxEvents }
	overBytes := func() bool { return c.opts.MaxStoredBytes > 0 && bytes > c.opts.MaxStoredBytes }
	if overCount() || overBytes() {
		sortForCap(s.kept)
		// Walk past skipped and failed candidates to the next in order, so
		// the caps remove exactly the excess when the server allows it.
		for _, r := range s.kept {
			reason := ReasonCap
			if !overCount() {
				if !overBytes() {
					break
				}
				reason = ReasonBytes
			}
			out, err := d.delete(ctx, r, reason)
			if err != nil {
				return d.tally(res), err
			}
			if out == deleted || out == gone {
				survivors--
				bytes -= int64(r.size)
			}
		}
	}
	res = d.tally(res)
	res.StoredBytes = bytes
	if res.Failed > 0 {
		return res, fmt.Errorf("%d of %d retention deletes failed, last: %w", res.Failed, d.attempts, d.lastErr)
	}
	return res, nil
}
