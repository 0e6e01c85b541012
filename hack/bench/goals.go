package main

import (
	"context"
	"fmt"
	"time"

	"github.com/kube-zen/zen-watcher/hack/loadgen/load"
)

// runGoals measures every figure of the table, each beside its
// baseline from this run.
func runGoals(ctx context.Context, c *cluster, o options) ([]figure, error) {
	var figs []figure
	fmt.Printf("store: %d raw creates, then %d unique findings through the pipeline (API_QPS %.0f on both)\n", o.unique, o.unique, o.apiQPS)
	s, err := measureStore(ctx, c, o.unique, o.apiQPS, int(2*o.apiQPS))
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	fmt.Printf("  raw %.0f/s, stored with counts %.0f/s; %d repeats cost %d status patches over %.1f flush intervals\n",
		s.raw, s.stored, s.repeats, s.patches, s.flushes)
	figs = append(figs,
		compared("unique findings stored with counts", s.stored, s.raw, "events/s", 0.8),
		measured("API writes per new finding", s.writesPerNew, "requests", "= 1", func(v float64) bool { return v <= 1.0001 }),
		measured("status patches per event per flush interval", s.patchesPerFlush, "requests", "≤ 1", func(v float64) bool { return v <= 1 }),
		measured("status patches per repeat", s.patchesPerRepeat, "requests", "", nil))

	existing := o.unique/2 + 2*o.unique
	if o.stored > existing {
		fmt.Printf("stage: %d more stored events (%d in all)\n", o.stored-existing, o.stored)
		ns, err := c.namespace(ctx, "bench-stored")
		if err != nil {
			return nil, err
		}
		if _, err := createEvents(ctx, c.client, ns, 0, o.stored-existing, 16); err != nil {
			return nil, err
		}
	}
	intake, err := measureIntake(ctx, c, o)
	if err != nil {
		return nil, fmt.Errorf("intake: %w", err)
	}
	figs = append(figs, intake...)

	fmt.Printf("reports: %d VulnerabilityReports\n", o.reports)
	rss, size, err := measureReports(ctx, c, o)
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	figs = append(figs, measured(fmt.Sprintf("RSS with %d × %.1f MB VulnerabilityReports", o.reports, float64(size)/1e6), rss, "MiB", "≤ 150", func(v float64) bool { return v <= 150 }))
	return figs, nil
}

// measureIntake runs the webhook loads against one daemon with o.stored
// events in its index, and the trivial handler for the baseline.
func measureIntake(ctx context.Context, c *cluster, o options) ([]figure, error) {
	t, err := startTrivial()
	if err != nil {
		return nil, err
	}
	defer t.stop()
	d, err := startDaemon(ctx, o.daemon, c.kubeconfig, "WEBHOOK_TOKEN="+benchToken, "HMAC_SECRET="+benchHMACKey,
		"RATE_LIMIT_RPS=0", "FALCO_BUFFER_SIZE=10000")
	if err != nil {
		return nil, err
	}
	defer d.stop()
	daemonURL := d.url + "/falco/webhook"
	fmt.Println("intake: 64 keep-alive connections, the same Falco alert (all repeats after the first)")
	base, err := drive("trivial JSON handler", load.Options{URL: t.url, Conns: 64, Duration: o.duration})
	if err != nil {
		return nil, err
	}
	total := 0
	run := func(name string, lo load.Options) (load.Report, error) {
		lo.URL = daemonURL
		r, err := drive(name, lo)
		total += r.Requests
		return r, err
	}
	tok, err := run("zen-watcher, bearer", load.Options{Headers: bearer(), Conns: 64, Duration: o.duration})
	if err != nil {
		return nil, err
	}
	paced, err := run("zen-watcher, bearer, paced 2000/s", load.Options{Headers: bearer(), Conns: 64, Duration: o.duration, Rate: 2000})
	if err != nil {
		return nil, err
	}
	for total < 100_000 {
		if _, err := run("zen-watcher, bearer (to 100k requests)", load.Options{Headers: bearer(), Conns: 64, Duration: o.duration}); err != nil {
			return nil, err
		}
	}
	time.Sleep(time.Second)
	// The memory figure is taken here, after 100k requests; the signed
	// run comes after it, because every signed request leaves a nonce in
	// the replay cache for HMAC_MAX_SKEW, which is memory by design
	// (bounded by HMAC_MAX_NONCES) and reported on its own.
	rss, err := d.memoryMiB("VmRSS")
	if err != nil {
		return nil, err
	}
	requestsAtRSS := total
	hwm, _ := d.memoryMiB("VmHWM")
	anon, _ := d.memoryMiB("RssAnon")
	file, _ := d.memoryMiB("RssFile")
	fmt.Printf("  RSS is %.1f MiB anonymous (heap, stacks, runtime) and %.1f MiB file-backed (the binary's pages)\n", anon, file)
	mfs, err := d.metrics()
	if err != nil {
		return nil, err
	}
	stored := sum(mfs, "zen_watcher_stored_events", nil)
	fmt.Printf("  after %d requests with %.0f stored events: RSS %.1f MiB (peak %.1f MiB); Go heap in use %.1f MiB, heap held %.1f MiB, stacks %.1f MiB, goroutines %.0f\n",
		total, stored, rss, hwm, sum(mfs, "go_memstats_heap_inuse_bytes", nil)/(1<<20), sum(mfs, "go_memstats_heap_sys_bytes", nil)/(1<<20)-sum(mfs, "go_memstats_heap_released_bytes", nil)/(1<<20),
		sum(mfs, "go_memstats_stack_inuse_bytes", nil)/(1<<20), sum(mfs, "go_goroutines", nil))
	signed, err := run("zen-watcher, HMAC", load.Options{HMACKey: benchHMACKey, Conns: 64, Duration: o.hmacDuration})
	if err != nil {
		return nil, err
	}
	time.Sleep(time.Second)
	afterSigned, err := d.memoryMiB("VmRSS")
	if err != nil {
		return nil, err
	}
	fmt.Printf("  after %d signed requests (each nonce kept for HMAC_MAX_SKEW): RSS %.1f MiB\n", signed.Requests, afterSigned)
	return []figure{
		compared("repeat intake, bearer, dedup", tok.PerSecond(), base.PerSecond(), "req/s", 0.75),
		compared(fmt.Sprintf("signed (HMAC) intake, %s", o.hmacDuration), signed.PerSecond(), base.PerSecond(), "req/s", 0.6),
		measured("paced 2,000 req/s: p50", ms(paced.P50), "ms", "", nil),
		measured("paced 2,000 req/s: p99", ms(paced.P99), "ms", "≤ 10", func(v float64) bool { return v <= 10 }),
		measured(fmt.Sprintf("RSS after %dk requests and %.0fk stored events", requestsAtRSS/1000, stored/1000), rss, "MiB", "≤ 64", func(v float64) bool { return v <= 64 }),
		measured("of which anonymous (RssAnon): heap, stacks, runtime", anon, "MiB", "", nil),
		measured("of which file-backed (RssFile): the binary's pages", file, "MiB", "", nil),
		measured("peak RSS (VmHWM) until then", hwm, "MiB", "", nil),
		measured(fmt.Sprintf("RSS after the signed run too (%dk nonces remembered)", signed.Requests/1000), afterSigned, "MiB", "", nil),
	}, nil
}

// measureReports stores o.reports large VulnerabilityReports, starts a
// daemon that reads them, and measures its memory once it has stored
// their findings.
func measureReports(ctx context.Context, c *cluster, o options) (rss float64, size int, err error) {
	ns, err := c.namespace(ctx, "bench-trivy")
	if err != nil {
		return 0, 0, err
	}
	if size, err = createReports(ctx, c, ns, o.reports); err != nil {
		return 0, 0, err
	}
	d, err := startDaemon(ctx, o.daemon, c.kubeconfig, "WEBHOOK_TOKEN="+benchToken)
	if err != nil {
		return 0, 0, err
	}
	defer d.stop()
	want := float64(o.reports * highPerReport)
	deadline := time.Now().Add(3 * time.Minute)
	for {
		mfs, err := d.metrics()
		if err != nil {
			return 0, 0, err
		}
		got := sum(mfs, "zen_watcher_events_total", map[string]string{"source": "trivy"}) +
			sum(mfs, "zen_watcher_write_already_exists_total", map[string]string{"source": "trivy"})
		if got >= want {
			break
		}
		if time.Now().After(deadline) {
			return 0, 0, fmt.Errorf("%.0f of %.0f Trivy findings stored after 3m; daemon log:\n%s", got, want, d.logs)
		}
		time.Sleep(250 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	rss, err = d.memoryMiB("VmRSS")
	hwm, _ := d.memoryMiB("VmHWM")
	fmt.Printf("  %d reports of %.2f MB read, %.0f findings stored: RSS %.1f MiB (peak %.1f MiB)\n", o.reports, float64(size)/1e6, want, rss, hwm)
	return rss, size, err
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
