package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// options are the command line.
type options struct {
	assets, crds, daemon, out string
	unique, stored, reports   int
	duration, hmacDuration    time.Duration
	apiQPS                    float64
	cpuProfile                string
	scale                     bool
}

func main() {
	var o options
	flag.StringVar(&o.assets, "assets", "bin/k8s", "folder holding kube-apiserver and etcd")
	flag.StringVar(&o.crds, "crds", "config/crd", "folder of the project's CRDs")
	flag.StringVar(&o.daemon, "daemon", "bin/zen-watcher", "the zen-watcher binary to measure")
	flag.StringVar(&o.out, "out", "bin/bench", "folder for results.json (scale.json with -scale)")
	flag.IntVar(&o.unique, "unique", 2000, "unique findings stored, and raw creates timed against them")
	flag.IntVar(&o.stored, "stored", 10_000, "events stored while the intake runs")
	flag.IntVar(&o.reports, "reports", 300, "VulnerabilityReports of about 1 MB")
	flag.DurationVar(&o.duration, "duration", 15*time.Second, "each intake run but the signed one")
	flag.DurationVar(&o.hmacDuration, "hmac-duration", 60*time.Second, "the signed intake run")
	flag.Float64Var(&o.apiQPS, "api-qps", 2000, "API_QPS of both the writer and the raw creates (burst is twice that): high enough that the API server, not the client's limiter, is the bound")
	serve := flag.Bool("serve-trivial", false, "serve the trivial baseline handler on a loopback port, print it, and run until killed (the benchmark starts this itself)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of this process (the load generator and the in-process pipeline) to this file")
	flag.BoolVar(&o.scale, "scale", false, "measure how figures scale (1k/10k/100k events, 1/8/64 clients) instead of the goals")
	flag.Parse()
	if *serve {
		if err := serveTrivial(); err != nil {
			fmt.Fprintln(os.Stderr, "bench: trivial handler:", err)
			os.Exit(1)
		}
		return
	}
	// controller-runtime's clients log through its global logger; only
	// its warnings matter here.
	ctrllog.SetLogger(logr.FromSlogHandler(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	if _, err := os.Stat(o.daemon); err != nil {
		return fmt.Errorf("no zen-watcher binary (run make build): %w", err)
	}
	dir, err := os.MkdirTemp("", "zen-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Printf("machine: %d CPUs (%s), load average %s\n", runtime.NumCPU(), cpuModel(), loadAverage())
	started := time.Now()
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	c, err := startCluster(o.assets, o.crds, dir)
	if err != nil {
		return err
	}
	defer c.stop()
	var figs []figure
	name := "results.json"
	if o.scale {
		figs, err = runScale(ctx, c, o)
		name = "scale.json"
	} else {
		figs, err = runGoals(ctx, c, o)
	}
	if err != nil {
		return err
	}
	fmt.Println()
	printTable(os.Stdout, figs)
	path, err := writeJSON(o.out, name, figs)
	if err != nil {
		return err
	}
	fmt.Printf("\nwrote %s in %s; load average now %s\n", path, time.Since(started).Round(time.Second), loadAverage())
	return nil
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// loadAverage is the first three fields of /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return f[0] + " " + f[1] + " " + f[2]
}
