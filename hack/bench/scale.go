package main

import (
	"context"
	"fmt"
	"time"

	"github.com/kube-zen/zen-watcher/hack/loadgen/load"
)

// runScale measures how the figures grow: a daemon's memory at rest and
// its time to ready with 1k, 10k and 100k stored events, and repeat intake
// against the trivial handler with 1, 8 and 64 clients.
func runScale(ctx context.Context, c *cluster, o options) ([]figure, error) {
	var figs []figure
	ns, err := c.namespace(ctx, "bench-scale")
	if err != nil {
		return nil, err
	}
	have := 0
	for _, n := range []int{1_000, 10_000, 100_000} {
		fmt.Printf("scale: %d stored events\n", n)
		rate, err := createEvents(ctx, c.client, ns, have, n, 16)
		if err != nil {
			return nil, err
		}
		fmt.Printf("  created %d more at %.0f/s\n", n-have, rate)
		have = n
		start := time.Now()
		d, err := startDaemon(ctx, o.daemon, c.kubeconfig, "WEBHOOK_TOKEN="+benchToken, "RATE_LIMIT_RPS=0")
		if err != nil {
			return nil, err
		}
		ready := time.Since(start)
		// A repeat load, so the figure is memory in use, not at idle.
		_, err = drive("zen-watcher, bearer", load.Options{URL: d.url + "/falco/webhook", Headers: bearer(), Conns: 64, Duration: o.duration})
		if err != nil {
			d.stop()
			return nil, err
		}
		rss, rerr := d.memoryMiB("VmRSS")
		d.stop()
		if rerr != nil {
			return nil, rerr
		}
		fmt.Printf("  ready in %s, RSS %.1f MiB\n", ready.Round(10*time.Millisecond), rss)
		figs = append(figs,
			measured(fmt.Sprintf("RSS with %dk stored events, after %s of repeats", n/1000, o.duration), rss, "MiB", "", nil),
			measured(fmt.Sprintf("start to ready with %dk stored events", n/1000), ready.Seconds(), "s", "", nil))
	}

	t, err := startTrivial()
	if err != nil {
		return nil, err
	}
	defer t.stop()
	d, err := startDaemon(ctx, o.daemon, c.kubeconfig, "WEBHOOK_TOKEN="+benchToken, "RATE_LIMIT_RPS=0", "FALCO_BUFFER_SIZE=10000")
	if err != nil {
		return nil, err
	}
	defer d.stop()
	for _, conns := range []int{1, 8, 64} {
		fmt.Printf("scale: %d clients\n", conns)
		base, err := drive("trivial JSON handler", load.Options{URL: t.url, Conns: conns, Duration: o.duration})
		if err != nil {
			return nil, err
		}
		r, err := drive("zen-watcher, bearer", load.Options{URL: d.url + "/falco/webhook", Headers: bearer(), Conns: conns, Duration: o.duration})
		if err != nil {
			return nil, err
		}
		figs = append(figs,
			compared(fmt.Sprintf("repeat intake, bearer, %d clients", conns), r.PerSecond(), base.PerSecond(), "req/s", 0),
			measured(fmt.Sprintf("repeat intake, bearer, %d clients: p99", conns), ms(r.P99), "ms", "", nil))
	}
	return figs, nil
}
