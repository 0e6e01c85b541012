package app

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"

	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/eventindex"
	"github.com/kube-zen/zen-watcher/internal/filewatch"
	"github.com/kube-zen/zen-watcher/internal/health"
	"github.com/kube-zen/zen-watcher/internal/leader"
	"github.com/kube-zen/zen-watcher/internal/retention"
	"github.com/kube-zen/zen-watcher/internal/server"
	"github.com/kube-zen/zen-watcher/internal/source/watcher"
	"github.com/kube-zen/zen-watcher/internal/version"
)

// Readiness checks, as named in the /ready body.
const (
	checkAPIServer = "apiserver"
	checkCRD       = "crd"
	checkIndex     = "index"
	checkWebhooks  = "webhooks"
)

// Options is everything Run needs. Tests fill it directly; main fills it
// from flags and the environment.
type Options struct {
	Config     config.Config
	RESTConfig *rest.Config
	Logger     *slog.Logger
	// Registry receives every metric; a fresh one per Run keeps tests apart.
	Registry *prometheus.Registry
	// Listener, when set, is served instead of listening on WatcherPort.
	Listener net.Listener
	// OnEvents, when set, receives the pipeline once it is built, so tests
	// can drive findings through the running daemon.
	OnEvents func(*Events)
	// APILimiter, when set, replaces the API_QPS/API_BURST token bucket
	// that every request to the API server passes; tests count with it.
	APILimiter flowcontrol.RateLimiter
}

// Run serves until ctx ends, then shuts down gracefully within
// Config.ShutdownTimeout. It returns an error for failures that make
// serving impossible, such as a port already in use, and when this replica
// lost the Lease: it must then stop, so that only the new leader reads the
// pull sources.
func Run(ctx context.Context, opts Options) error {
	cfg, log := opts.Config, opts.Logger
	rc := ClientConfig(opts.RESTConfig, cfg, opts.APILimiter)

	disc, err := discovery.NewDiscoveryClientForConfig(withTimeout(rc))
	if err != nil {
		return fmt.Errorf("building discovery client: %w", err)
	}
	meta, err := metadata.NewForConfig(rc)
	if err != nil {
		return fmt.Errorf("building metadata client: %w", err)
	}

	d := &daemon{
		cfg: cfg, log: log,
		ready:       health.NewReadiness(checkAPIServer, checkCRD),
		index:       eventindex.New(meta, 0),
		crdServed:   make(chan struct{}),
		indexSynced: make(chan struct{}),
		httpStopped: make(chan struct{}),
	}
	d.clock = newShutdownClock(ctx, cfg.ShutdownTimeout, d.beginShutdown)
	d.addChecks()
	if d.events, err = NewEvents(cfg, rc, d.index, opts.Registry, log); err != nil {
		return err
	}
	opts.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		version.NewBuildInfoCollector(),
		health.NewReadyCollector(d.ready),
		d.index,
	)
	if d.sources, err = NewSources(cfg, rc, d.events.Pipeline, opts.Registry, log); err != nil {
		return fmt.Errorf("building sources: %w", err)
	}
	// Retention shares the writer's client, and so its rate limit: the
	// collector's deletes never add to the load the API server sees.
	d.gc = retention.New(d.events.Client, retention.Options{TTL: cfg.EventTTL, MaxEvents: cfg.MaxEvents, MaxStoredBytes: cfg.MaxStoredBytes, Interval: cfg.GCInterval},
		opts.Registry, log.With("component", "retention"), time.Now)
	d.gate = leader.NewGate(d.clock.stopping, leader.NewMetrics(opts.Registry), log.With("component", "leader"))
	opts.Registry.MustRegister(watcher.NewUpCollector(d.sourceStatuses))
	d.sources.Detector.SetSourceStatus(d.sourceOfTool)
	d.cluster = &clusterWatch{discovery: disc, readiness: d.ready, interval: cfg.WatchInterval, log: log}
	if opts.OnEvents != nil {
		opts.OnEvents(d.events)
	}
	mgr, err := newManager(rc, opts.RESTConfig, cfg, log)
	if err != nil {
		return err
	}
	ln := opts.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", ":"+strconv.Itoa(cfg.WatcherPort)); err != nil {
			return fmt.Errorf("listening on WATCHER_PORT %d: %w", cfg.WatcherPort, err)
		}
	}
	// Files named by the configuration are read now, and every one that
	// cannot be is reported in one error, as config.Load does for variables.
	var hooksErr, tlsErr error
	d.hooks, hooksErr = NewWebhooks(cfg, d.events.Pipeline, opts.Registry, log)
	if wc := cfg.Webhooks; wc.TLSCertFile != "" {
		if d.tlsFiles, err = server.LoadTLS(wc.TLSCertFile, wc.TLSKeyFile, wc.TLSClientCAFile); err != nil {
			tlsErr = configError("TLS_CERT_FILE", wc.TLSCertFile, "want readable PEM files of a certificate, its key and the client CA", err)
		}
	}
	if err := config.Join(hooksErr, tlsErr); err != nil {
		ln.Close()
		return err
	}
	d.files = filewatch.NewWatcher(filewatch.Interval, filewatch.NewMetrics(opts.Registry), log.With("component", "filewatch"))
	d.files.Add(d.hooks.Files()...)
	if d.tlsFiles != nil {
		ln = tls.NewListener(ln, d.tlsFiles.Config())
		d.files.Add(d.tlsFiles.File())
	}
	guard, err := newGuard(cfg, rc, d.hooks, opts.Registry, log)
	if err != nil {
		ln.Close()
		return err
	}
	sources, err := newDynSources(ctx, mgr, cfg, rc, d.hooks.Intake, d.sources, opts.Registry, log)
	if err != nil {
		ln.Close()
		return err
	}
	d.ln = ln
	d.srv = server.New(server.NewHandler(server.Options{Readiness: d.ready, Gatherer: opts.Registry, Logger: log, DLQ: d.events.Writer,
		Tools: d.sources.Detector, Webhooks: d.hooks, Sources: sources, Guard: guard, GuardMetrics: cfg.MetricsAuth == config.MetricsAuthKubernetes}), log)
	if err := d.addRunnables(mgr); err != nil {
		ln.Close()
		return err
	}
	if err := d.addOutputs(mgr, rc, opts.Registry); err != nil {
		ln.Close()
		return err
	}
	return runManager(ctx, mgr, cfg.ShutdownTimeout, log)
}
