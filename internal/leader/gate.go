package leader

import (
	"context"
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// Gate runs leader-only work as manager runnables and knows when none of it
// runs any more. The manager starts such work when this replica is elected
// and cancels it when the manager stops; the Gate also cancels it the moment
// shutdown begins, ahead of the manager's own order, so that the pipeline's
// last flush can wait for the sources' last findings without waiting for
// the manager to reach the leader's group.
type Gate struct {
	shutdown context.Context
	metrics  *Metrics
	log      *slog.Logger

	mu      sync.Mutex
	closed  bool // no more leader work may start
	running int
	leading bool
	idle    chan struct{} // closed once closed and nothing runs
}

// NewGate builds a gate whose work ends when shutdown ends.
func NewGate(shutdown context.Context, m *Metrics, log *slog.Logger) *Gate {
	return &Gate{shutdown: shutdown, metrics: m, log: log, idle: make(chan struct{})}
}

// Runnable wraps fn as leader-only work for the manager. fn must return
// once its context ends.
func (g *Gate) Runnable(name string, fn func(context.Context)) manager.Runnable {
	return &leaderWork{gate: g, name: name, fn: fn}
}

// Leading reports whether leader-only work runs in this replica now.
func (g *Gate) Leading() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.leading
}

// Close stops new leader work from starting and waits, until ctx ends, for
// the running work to return. It is safe to call more than once.
func (g *Gate) Close(ctx context.Context) error {
	g.mu.Lock()
	if !g.closed {
		g.closed = true
		if g.running == 0 {
			close(g.idle)
		}
	}
	g.mu.Unlock()
	select {
	case <-g.idle:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (g *Gate) begin(name string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.running++
	if !g.leading {
		g.leading = true
		g.metrics.set(true)
		g.log.Info("leading: starting the pull sources, tool detection and retention")
	}
	g.log.Debug("leader work started", "work", name)
	return true
}

func (g *Gate) end(name string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.running--
	g.log.Debug("leader work stopped", "work", name)
	if g.running > 0 {
		return
	}
	if g.leading {
		g.leading = false
		g.metrics.set(false)
		g.log.Info("leader work stopped")
	}
	if g.closed {
		close(g.idle)
	}
}

// leaderWork is one piece of leader-only work.
type leaderWork struct {
	gate *Gate
	name string
	fn   func(context.Context)
}

// NeedLeaderElection puts the work in the manager's leader group.
func (w *leaderWork) NeedLeaderElection() bool { return true }

// Start runs the work until the manager or shutdown stops it.
func (w *leaderWork) Start(ctx context.Context) error {
	if !w.gate.begin(w.name) {
		return nil // elected while shutting down: nothing to start
	}
	defer w.gate.end(w.name)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(w.gate.shutdown, cancel)
	defer stop()
	w.fn(ctx)
	return nil
}

// Everywhere wraps fn as work the manager runs on every replica, elected or
// not. fn returns an error only when the daemon cannot go on.
func Everywhere(name string, fn func(context.Context) error) manager.Runnable {
	return &everyReplica{name: name, fn: fn}
}

type everyReplica struct {
	name string
	fn   func(context.Context) error
}

// NeedLeaderElection puts the work in the manager's group that runs
// regardless of the election.
func (e *everyReplica) NeedLeaderElection() bool { return false }

// Start runs the work until the manager stops it.
func (e *everyReplica) Start(ctx context.Context) error { return e.fn(ctx) }

// Metrics say whether this replica leads and how often that changed.
type Metrics struct {
	leader      prometheus.Gauge
	transitions prometheus.Counter
}

// NewMetrics registers zen_watcher_leader and
// zen_watcher_leader_transitions_total with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "zen_watcher_leader",
			Help: "1 while this replica holds the Lease and runs the pull sources, tool detection and retention, else 0.",
		}),
		transitions: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "zen_watcher_leader_transitions_total",
			Help: "Times this replica became leader or stopped being leader.",
		}),
	}
	reg.MustRegister(m.leader, m.transitions)
	return m
}

func (m *Metrics) set(leading bool) {
	v := 0.0
	if leading {
		v = 1
	}
	m.leader.Set(v)
	m.transitions.Inc()
}
