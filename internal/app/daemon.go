package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/manager"

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

// daemon holds the parts Run built and the signals that order their start
// and stop. The manager runs each part as a runnable: on every replica the
// cluster check, the event index, the HTTP server with the webhooks, the
// file watcher (credential and TLS files) and the write path; on the
// leader only, the pull sources with tool detection, and retention.
type daemon struct {
	cfg   config.Config
	log   *slog.Logger
	ready *health.Readiness
	clock shutdownClock

	cluster  *clusterWatch
	index    *eventindex.Index
	events   *Events
	sources  *Sources
	gc       *retention.Collector
	hooks    *Webhooks
	gate     *leader.Gate
	srv      *http.Server
	ln       net.Listener
	tlsFiles *server.TLSFiles
	files    *filewatch.Watcher // credential and TLS files re-read while serving

	serving     atomic.Bool   // the HTTP server runs
	crdServed   chan struct{} // the ZenAgentEvent CRD was served once
	indexSynced chan struct{} // the event index loaded: lookups are right
	httpStopped chan struct{} // no handler runs any more
}

// addRunnables hands every part to the manager, on every replica or on the
// leader only.
func (d *daemon) addRunnables(mgr manager.Manager) error {
	everywhere := []manager.Runnable{
		leader.Everywhere("cluster", d.watchCluster),
		leader.Everywhere("index", d.runIndex),
		leader.Everywhere("http", d.serveHTTP),
		leader.Everywhere("events", d.runEvents),
		leader.Everywhere("files", func(ctx context.Context) error { d.files.Run(ctx); return nil }),
	}
	onLeader := []manager.Runnable{
		d.gate.Runnable("sources", d.runSources),
		d.gate.Runnable("retention", d.runRetention),
	}
	for _, r := range append(everywhere, onLeader...) {
		if err := mgr.Add(r); err != nil {
			return fmt.Errorf("adding a runnable to the manager: %w", err)
		}
	}
	return nil
}

// addChecks adds the readiness checks every replica has; the leader adds
// one per pull source.
func (d *daemon) addChecks() {
	d.ready.Poll(checkIndex, func() error {
		if !d.index.HasSynced() {
			return errors.New("the ZenAgentEvent index has not loaded yet")
		}
		return nil
	})
	// /ready fails from the moment shutdown begins, so that the Service
	// stops sending traffic while the webhooks still serve.
	d.ready.Poll(checkWebhooks, func() error {
		switch {
		case d.clock.stopping.Err() != nil:
			return errors.New("shutting down")
		case !d.serving.Load():
			return errors.New("not serving yet")
		}
		return nil
	})
}

// beginShutdown is the first step of the shutdown.
func (d *daemon) beginShutdown() {
	d.log.Info("shutting down", "timeout", d.cfg.ShutdownTimeout.String(), "delay", d.cfg.ShutdownDelay.String())
}

func (d *daemon) watchCluster(ctx context.Context) error {
	d.cluster.run(ctx, func() { close(d.crdServed) })
	return nil
}

// runIndex loads and watches the stored events once the CRD is served. A
// finding is looked up in the index, so before it syncs every stored event
// would look new: the webhooks and the sources wait for it.
func (d *daemon) runIndex(ctx context.Context) error {
	select {
	case <-d.crdServed:
	case <-ctx.Done():
		return nil
	}
	go func() {
		if cache.WaitForCacheSync(ctx.Done(), d.index.HasSynced) {
			close(d.indexSynced)
			d.log.Info("event index synced")
		}
	}()
	d.index.Run(ctx)
	return nil
}

// serveHTTP serves probes, metrics, the API and the webhooks. At shutdown
// it keeps serving for SHUTDOWN_DELAY with /ready failing, then stops
// accepting and lets the requests in flight finish.
func (d *daemon) serveHTTP(ctx context.Context) error {
	served := make(chan error, 1)
	go func() { served <- d.srv.Serve(d.ln) }()
	d.log.Info("serving", "address", d.ln.Addr().String(), "version", version.Version)
	d.serving.Store(true)
	select {
	case err := <-served:
		close(d.httpStopped)
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serving HTTP: %w", err)
		}
		return nil
	case <-ctx.Done():
	}
	defer close(d.httpStopped)
	d.clock.begin()
	select {
	case <-time.After(d.cfg.ShutdownDelay):
	case <-d.clock.drain.Done():
	}
	d.log.Info("webhooks stop accepting; finishing requests in flight")
	if err := d.srv.Shutdown(d.clock.drain); err != nil {
		d.log.Error("requests still in flight at the shutdown deadline were cut", "error", err.Error())
		_ = d.srv.Close()
	}
	<-served
	return nil
}

// runEvents runs the write path: the webhooks' buffers into the pipeline,
// the pipeline into the writer. At shutdown it drains in order: the
// webhooks once the server stopped, then the pipeline's last flush once no
// leader work runs, then the writer's queue, all by the drain deadline.
func (d *daemon) runEvents(ctx context.Context) error {
	intakeDone := make(chan struct{})
	go func() {
		defer close(intakeDone)
		select {
		case <-d.indexSynced:
		case <-d.httpStopped:
		}
		d.hooks.Run(d.clock.drain)
	}()
	go func() { <-d.httpStopped; d.hooks.Close() }()
	flushing, stopFlushing := context.WithCancel(context.WithoutCancel(ctx))
	defer stopFlushing()
	go func() {
		<-ctx.Done()
		d.clock.begin()
		<-intakeDone
		if err := d.gate.Close(d.clock.drain); err != nil {
			d.log.Error("leader work still running at the shutdown deadline", "error", err.Error())
		}
		stopFlushing()
	}()
	d.events.Run(flushing, d.clock.drain, d.cfg.FlushInterval, d.log)
	return nil
}

// runSources runs the pull sources and tool detection, on the leader, once
// the event index has synced. From then on the leader's readiness includes
// one check per source.
func (d *daemon) runSources(ctx context.Context) {
	for _, st := range d.sources.Statuses() {
		d.ready.Poll("source/"+st.Source, func() error { return d.sourceReady(st.Source) })
	}
	select {
	case <-d.indexSynced:
	case <-ctx.Done():
		return
	}
	d.sources.Run(ctx)
}

// runRetention deletes expired events and enforces the cap, on the leader:
// two collectors would race to delete the same events.
func (d *daemon) runRetention(ctx context.Context) {
	select {
	case <-d.crdServed:
	case <-ctx.Done():
		return
	}
	d.gc.Run(ctx)
}

// sourceReady holds readiness down only while a source loads its first
// list. A source that fails (forbidden, a broken CRD) is degraded, not
// unready: one missing grant must not keep the webhooks out of the Service.
func (d *daemon) sourceReady(name string) error {
	st, _ := d.sources.Status(name)
	switch st.State {
	case watcher.StateSyncing:
		return st.Err
	case watcher.StateFailing:
		return health.Degraded(st.Err)
	}
	return nil
}

// sourceOfTool tells /api/v1/tools the state of the pull source reading a
// tool. Only the leader runs them; the others say so.
func (d *daemon) sourceOfTool(tool string) (state, reason string) {
	st, ok := d.sources.Status(tool)
	switch {
	case !ok:
		return "", ""
	case !d.gate.Leading():
		return "standby", "this replica is not the leader; the leader reads the pull sources"
	case st.Err != nil:
		return st.State, st.Err.Error()
	}
	return st.State, ""
}

// sourceStatuses are the states behind zen_watcher_source_up: none on a
// replica that does not lead.
func (d *daemon) sourceStatuses() []watcher.Status {
	if !d.gate.Leading() {
		return nil
	}
	return d.sources.Statuses()
}
