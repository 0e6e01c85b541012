package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/flowcontrol"

	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/eventindex"
	"github.com/kube-zen/zen-watcher/internal/health"
	"github.com/kube-zen/zen-watcher/internal/retention"
	"github.com/kube-zen/zen-watcher/internal/server"
	"github.com/kube-zen/zen-watcher/internal/version"
)

// Readiness conditions, as named in the /ready body.
const (
	condAPIServer = "apiserver"
	condCRD       = "crd"
	condCaches    = "caches"
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
// Config.ShutdownTimeout. It returns an error only for failures that make
// serving impossible, such as a port already in use.
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

	ready := health.NewReadiness(condAPIServer, condCRD, condCaches)
	index := eventindex.New(meta, 0)
	events, err := NewEvents(cfg, rc, index, opts.Registry, log)
	if err != nil {
		return err
	}
	opts.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		version.NewBuildInfoCollector(),
		health.NewReadyCollector(ready),
		index,
	)

	sources, err := NewSources(cfg, rc, events.Pipeline, opts.Registry, log)
	if err != nil {
		return fmt.Errorf("building sources: %w", err)
	}
	// Retention shares the writer's client, and so its rate limit: the
	// collector's deletes never add to the load the API server sees.
	gc := retention.New(events.Client, retention.Options{TTL: cfg.EventTTL, MaxEvents: cfg.MaxEvents, MaxStoredBytes: cfg.MaxStoredBytes, Interval: cfg.GCInterval},
		opts.Registry, log.With("component", "retention"), time.Now)
	if opts.OnEvents != nil {
		opts.OnEvents(events)
	}
	ln := opts.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", ":"+strconv.Itoa(cfg.WatcherPort)); err != nil {
			return fmt.Errorf("listening on WATCHER_PORT %d: %w", cfg.WatcherPort, err)
		}
	}
	// Files named by the configuration are read now, and every one that
	// cannot be is reported in one error, as config.Load does for variables.
	hooks, hooksErr := NewWebhooks(cfg, events.Pipeline, opts.Registry, log)
	var tlsFiles *server.TLSFiles
	var tlsErr error
	if wc := cfg.Webhooks; wc.TLSCertFile != "" {
		if tlsFiles, err = server.LoadTLS(wc.TLSCertFile, wc.TLSKeyFile, wc.TLSClientCAFile); err != nil {
			tlsErr = configError("TLS_CERT_FILE", wc.TLSCertFile, "want readable PEM files of a certificate, its key and the client CA", err)
		}
	}
	if err := config.Join(hooksErr, tlsErr); err != nil {
		ln.Close()
		return err
	}
	if tlsFiles != nil {
		ln = tls.NewListener(ln, tlsFiles.Config())
	}
	guard, err := newGuard(cfg, rc, hooks, opts.Registry, log)
	if err != nil {
		ln.Close()
		return err
	}
	srv := server.New(server.NewHandler(server.Options{Readiness: ready, Gatherer: opts.Registry, Logger: log, DLQ: events.Writer,
		Tools: sources.Detector, Webhooks: hooks, Guard: guard, GuardMetrics: cfg.MetricsAuth == config.MetricsAuthKubernetes}), log)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		log.Info("serving", "address", ln.Addr().String(), "version", version.Version)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serving HTTP: %w", err)
		}
		return nil
	})
	// The webhooks' submits may outlive gctx: what they accepted is drained
	// into the pipeline after the server stops, within the shutdown timeout.
	intakeCtx, stopIntake := context.WithCancel(context.WithoutCancel(ctx))
	defer stopIntake()
	serverStopped := make(chan struct{})
	g.Go(func() error {
		<-gctx.Done()
		defer close(serverStopped)
		log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
		time.AfterFunc(cfg.ShutdownTimeout, stopIntake)
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			return fmt.Errorf("shutting down HTTP server: %w", err)
		}
		return nil
	})
	g.Go(func() error { hooks.WatchCredentials(gctx, log); return nil })
	if tlsFiles != nil {
		g.Go(func() error { tlsFiles.Watch(gctx, secretReloadInterval, log); return nil })
	}
	// Sources start once the index has synced, and stop first at shutdown:
	// the pipeline's last flush comes after the last finding submitted. The
	// webhooks stop taking requests when the server stops, and are drained.
	indexSynced, sourcesDone := make(chan struct{}), make(chan struct{})
	g.Go(func() error {
		defer close(sourcesDone)
		intakeDone := make(chan struct{})
		go func() {
			defer close(intakeDone)
			select {
			case <-indexSynced:
			case <-serverStopped:
			}
			hooks.Run(intakeCtx)
		}()
		go func() { <-serverStopped; hooks.Close() }()
		select {
		case <-indexSynced:
			sources.Run(gctx)
		case <-gctx.Done():
		}
		<-intakeDone
		return nil
	})
	flushCtx, stopFlushing := context.WithCancel(context.WithoutCancel(ctx))
	defer stopFlushing()
	g.Go(func() error {
		<-sourcesDone
		stopFlushing()
		return nil
	})
	g.Go(func() error {
		events.Run(flushCtx, cfg.FlushInterval, cfg.ShutdownTimeout, log)
		return nil
	})
	g.Go(func() error {
		c := &clusterWatch{discovery: disc, readiness: ready, interval: cfg.WatchInterval, log: log}
		c.run(gctx, func() {
			startCaches(gctx, g, index, sources, indexSynced, ready, log)
			g.Go(func() error { gc.Run(gctx); return nil })
		})
		return nil
	})
	return g.Wait()
}

// startCaches runs the event index and closes indexSynced once it has
// loaded: a source's findings are looked up in the index, and before then
// every stored event would look new. The caches condition holds once the
// sources have synced too.
func startCaches(ctx context.Context, g *errgroup.Group, index *eventindex.Index, sources *Sources, indexSynced chan<- struct{}, ready *health.Readiness, log *slog.Logger) {
	ready.Set(condCaches, errors.New("waiting for the ZenAgentEvent index and the sources to sync"))
	g.Go(func() error { index.Run(ctx); return nil })
	g.Go(func() error {
		if !cache.WaitForCacheSync(ctx.Done(), index.HasSynced) {
			return nil
		}
		close(indexSynced)
		if cache.WaitForCacheSync(ctx.Done(), sources.HasSynced) {
			ready.Set(condCaches, nil)
			log.Info("caches synced")
		}
		return nil
	})
}
