package leader

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func newGate(t *testing.T) (*Gate, context.CancelFunc, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	shutdown, begin := context.WithCancel(context.Background())
	t.Cleanup(begin)
	return NewGate(shutdown, NewMetrics(reg), slog.New(slog.DiscardHandler)), begin, reg
}

func TestGateStopsLeaderWorkWhenShutdownBegins(t *testing.T) {
	g, begin, reg := newGate(t)
	started := make(chan struct{})
	r := g.Runnable("sources", func(ctx context.Context) { close(started); <-ctx.Done() })
	if !r.(interface{ NeedLeaderElection() bool }).NeedLeaderElection() {
		t.Fatal("leader work must ask for leader election")
	}
	done := make(chan error, 1)
	go func() { done <- r.Start(context.Background()) }() // the manager's context never ends here
	<-started
	if !g.Leading() || testutil.ToFloat64(g.metrics.leader) != 1 {
		t.Fatal("running leader work means leading")
	}
	begin()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := g.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if g.Leading() || testutil.ToFloat64(g.metrics.leader) != 0 {
		t.Error("no leader work runs after Close")
	}
	want := "zen_watcher_leader_transitions_total 2\n"
	if err := testutil.GatherAndCompare(reg, strings.NewReader("# HELP zen_watcher_leader_transitions_total Times this replica became leader or stopped being leader.\n# TYPE zen_watcher_leader_transitions_total counter\n"+want), "zen_watcher_leader_transitions_total"); err != nil {
		t.Error(err)
	}
}

func TestGateStartsNothingAfterClose(t *testing.T) {
	g, _, _ := newGate(t)
	if err := g.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	ran := false
	if err := g.Runnable("late", func(context.Context) { ran = true }).Start(context.Background()); err != nil || ran {
		t.Fatalf("work elected during shutdown must not start: ran=%v err=%v", ran, err)
	}
	if err := g.Close(context.Background()); err != nil {
		t.Fatal("Close twice:", err)
	}
}

func TestGateCloseIsBounded(t *testing.T) {
	g, _, _ := newGate(t)
	release := make(chan struct{})
	defer close(release)
	started := make(chan struct{})
	go func() {
		_ = g.Runnable("stuck", func(context.Context) { close(started); <-release }).Start(context.Background())
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := g.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close of stuck work = %v, want the deadline", err)
	}
}

func TestEverywhereRunsWithoutElection(t *testing.T) {
	r := Everywhere("http", func(context.Context) error { return errors.New("port in use") })
	if r.(interface{ NeedLeaderElection() bool }).NeedLeaderElection() {
		t.Fatal("work on every replica must not wait for election")
	}
	if err := r.Start(context.Background()); err == nil {
		t.Fatal("the error must reach the manager")
	}
}

func TestIdentity(t *testing.T) {
	if id, _ := Identity("zen-watcher-0", nil); id != "zen-watcher-0" {
		t.Errorf("POD_NAME wins: %q", id)
	}
	host := func() (string, error) { return "node-a", nil }
	a, _ := Identity("", host)
	b, _ := Identity("", host)
	if !strings.HasPrefix(a, "node-a_") || a == b {
		t.Errorf("host name plus a random suffix, different per process: %q %q", a, b)
	}
	if _, err := Identity("", func() (string, error) { return "", errors.New("no hostname") }); err == nil {
		t.Error("no POD_NAME and no host name is an error")
	}
}
