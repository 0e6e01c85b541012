package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/leader"
)

// newManager builds the controller-runtime manager that starts, elects and
// stops everything. Its own metrics and probe servers stay off: the daemon
// serves /metrics, /health and /ready on its one port, from its own
// registry and checks. The Lease client is built from base, outside the
// daemon's API budget, so that a busy writer never delays a renewal.
func newManager(rc, base *rest.Config, cfg config.Config, log *slog.Logger) (manager.Manager, error) {
	grace := drainBudget(cfg.ShutdownTimeout)
	scheme, err := newScheme()
	if err != nil {
		return nil, err
	}
	opts := manager.Options{
		Scheme:                  scheme,
		Logger:                  logr.FromSlogHandler(leader.ReleaseLogHandler(log.With("component", "manager").Handler())),
		Metrics:                 metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress:  "0",
		GracefulShutdownTimeout: &grace,
	}
	if le := cfg.LeaderElection; le.Enabled {
		id, err := leader.Identity(le.Identity, os.Hostname)
		if err != nil {
			return nil, err
		}
		lock, err := leader.NewLock(base, le, id)
		if err != nil {
			return nil, err
		}
		opts.LeaderElection = true
		opts.LeaderElectionID, opts.LeaderElectionNamespace = le.ID, le.Namespace
		opts.LeaderElectionResourceLockInterface = lock
		// The next leader starts at once instead of after the lease expires;
		// safe because Run returns, and the process exits, right after.
		opts.LeaderElectionReleaseOnCancel = true
		opts.LeaseDuration, opts.RenewDeadline, opts.RetryPeriod = &le.LeaseDuration, &le.RenewDeadline, &le.RetryPeriod
		log.Info("leader election", "lease", le.Namespace+"/"+le.ID, "identity", id)
	} else {
		log.Warn("leader election is off (LEADER_ELECTION=false): this replica runs the pull sources and retention; run only one")
	}
	mgr, err := manager.New(rc, opts)
	if err != nil {
		return nil, fmt.Errorf("building the manager: %w", err)
	}
	return mgr, nil
}

// newScheme knows the built-in kinds and zen-watcher's own, so that the
// manager's controllers and caches can read ZenAgentEvents and ZenOutputs.
func newScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := errors.Join(clientgoscheme.AddToScheme(s), zenv1.AddToScheme(s), v1alpha1.AddToScheme(s)); err != nil {
		return nil, fmt.Errorf("building the manager's scheme: %w", err)
	}
	return s, nil
}

// releaseReserve is the part of SHUTDOWN_TIMEOUT kept for releasing the
// Lease after every runnable stopped: one get and one update.
func releaseReserve(timeout time.Duration) time.Duration {
	return min(2*time.Second, timeout/5)
}

// drainBudget is how long, from SIGTERM, the runnables have to stop.
func drainBudget(timeout time.Duration) time.Duration {
	return timeout - releaseReserve(timeout)
}

// shutdownClock times the shutdown. stopping ends when it begins: when the
// signal context ends (SIGTERM), or when a runnable calls begin because the
// manager stops for another reason. drain ends drainBudget later: the
// deadline of every stage of the shutdown.
type shutdownClock struct {
	stopping, drain context.Context
	begin           context.CancelFunc
}

// newShutdownClock starts a clock for ctx; onBegin runs once, when the
// shutdown begins.
func newShutdownClock(ctx context.Context, timeout time.Duration, onBegin func()) shutdownClock {
	stopping, begin := context.WithCancel(context.WithoutCancel(ctx))
	drain, stopDraining := context.WithCancel(context.WithoutCancel(ctx))
	context.AfterFunc(ctx, begin)
	context.AfterFunc(stopping, func() {
		onBegin()
		time.AfterFunc(drainBudget(timeout), stopDraining)
	})
	return shutdownClock{stopping: stopping, drain: drain, begin: begin}
}

// runManager runs mgr until ctx ends, and waits at most timeout after that
// for it to stop: whatever is still running then is abandoned, so the
// process exits within SHUTDOWN_TIMEOUT as the kubelet expects.
func runManager(ctx context.Context, mgr manager.Manager, timeout time.Duration, log *slog.Logger) error {
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		t := time.NewTimer(timeout)
		defer t.Stop()
		select {
		case err = <-done:
		case <-t.C:
			return fmt.Errorf("shutdown took longer than SHUTDOWN_TIMEOUT (%s); exiting anyway", timeout)
		}
	}
	// controller-runtime says so in words only, and skips the graceful stop.
	if err != nil && ctx.Err() == nil && strings.Contains(err.Error(), "leader election lost") {
		return fmt.Errorf("lost the Lease; stopping so that only the new leader reads the pull sources: %w", err)
	}
	if err != nil {
		return fmt.Errorf("manager: %w", err)
	}
	log.Info("manager stopped")
	return nil
}
