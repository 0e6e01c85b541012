package integration

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/kube-zen/zen-watcher/internal/finding"
)

// TestWritesSurviveAPIServerOutage cuts the writer off from the API server
// for a few seconds: the bounded queue fills, Submit pushes back, writes are
// retried, and once the API server is back every finding is stored with its
// count and nothing is dead-lettered. The outage is much shorter than the
// writer's default backoff budget (about two minutes), so no write may give up.
func TestWritesSurviveAPIServerOutage(t *testing.T) {
	ns := newNamespace(t)
	fw := startForwarder(t, restConfig)
	cfg := defaultConfig(t)
	cfg.WriteQueueSize, cfg.WriteWorkers = 20, 2
	cfg.FlushInterval = 200 * time.Millisecond
	r := startPipelineVia(t, cfg, fw.config())
	t.Cleanup(fw.unblock) // runs before the pipeline's stop, so a failed test still drains

	at := time.Now().Truncate(time.Second)
	want := map[string]int64{} // object name → expected count
	submit := func(ctx context.Context, key, rep int) error {
		f := synthetic(ns, key, at.Add(time.Duration(rep)*time.Second))
		want[finding.ObjectName(f.Source, f.DedupKey, 0)]++
		return r.Pipeline.Submit(ctx, f)
	}
	quick := func(key, rep int) error {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		return submit(ctx, key, rep)
	}
	metric := func(name string) float64 { return counterValue(t, r.Registry, name) }

	// Through the forwarder, writes work.
	const warm = 5
	for i := range warm {
		if err := submit(context.Background(), i, 0); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "warm-up events stored through the forwarder", countsAre(t, ns, warm, 1))

	fw.block()
	blockedAt := time.Now()

	// Repeats are coalesced in memory: accepted at once, queue or not.
	for i := range warm {
		if err := quick(i, 1); err != nil {
			t.Fatalf("repeat of a stored finding refused during the outage: %v", err)
		}
	}

	// New keys each need a create: two workers take one each and retry, the
	// queue takes twenty more, then Submit pushes back.
	var rejected error
	next := warm
	for ; next < warm+200 && rejected == nil; next++ {
		rejected = quick(next, 0)
	}
	if rejected == nil {
		t.Fatalf("%d new findings accepted during the outage; the write queue never pushed back", next-warm)
	}
	if !errors.Is(rejected, context.DeadlineExceeded) {
		t.Fatalf("Submit failed with %v, want the caller's deadline", rejected)
	}
	accepted := next - 1 // keys warm..accepted-1 were queued; key accepted was pushed back
	t.Logf("queue pushed back after %d new findings: %v", accepted-warm, rejected)

	capacity := metric("zen_watcher_write_queue_capacity")
	if capacity != float64(cfg.WriteQueueSize) {
		t.Errorf("zen_watcher_write_queue_capacity = %v, want %d", capacity, cfg.WriteQueueSize)
	}
	eventually(t, "queue depth at capacity", func() error {
		if d := metric("zen_watcher_write_queue_depth"); d != capacity {
			return fmt.Errorf("depth %v, capacity %v", d, capacity)
		}
		return nil
	})

	// Repeats of queued keys still go in while the queue is full.
	for i := warm; i < accepted; i++ {
		if err := quick(i, 1); err != nil {
			t.Fatalf("repeat of queued key %d refused: %v", i, err)
		}
	}

	eventually(t, "failed writes counted and retried", func() error {
		errs, retries := metric("zen_watcher_api_write_errors_total"), metric("zen_watcher_api_write_retries_total")
		if errs < 4 || retries < 4 { // at least two failed attempts per worker
			return fmt.Errorf("errors %v, retries %v", errs, retries)
		}
		return nil
	})
	// Keep the API server away for a few seconds in all, well inside the
	// backoff budget, so the retries back off at least a few times.
	time.Sleep(time.Until(blockedAt.Add(3 * time.Second)))
	if d := metric("zen_watcher_write_queue_depth"); d != capacity {
		t.Errorf("queue depth %v during the outage, want capacity %v", d, capacity)
	}
	if n := metric("zen_watcher_dlq_size"); n != 0 {
		t.Fatalf("%v writes dead-lettered during a %s outage", n, time.Since(blockedAt).Round(time.Second))
	}
	t.Logf("during the outage: %v write errors, %v retries", metric("zen_watcher_api_write_errors_total"), metric("zen_watcher_api_write_retries_total"))

	fw.unblock()

	// The pushed-back finding was recorded all the same: the aggregator kept
	// it and a later flush writes it (Aggregator.requeue), so it is expected
	// with count 1 like the other new keys.
	eventually(t, "every finding stored with its count", func() error { return countsExactly(t, ns, want) })
	eventually(t, "queue drained", func() error {
		if d := metric("zen_watcher_write_queue_depth"); d != 0 {
			return fmt.Errorf("depth %v", d)
		}
		return nil
	})
	if n, total := metric("zen_watcher_dlq_size"), metric("zen_watcher_dlq_entries_total"); n != 0 || total != 0 {
		t.Errorf("dead-letter queue: size %v, entries %v; want none", n, total)
	}

	r.stop()
	if err := countsExactly(t, ns, want); err != nil {
		t.Errorf("after drain: %v", err)
	}
}

// countsExactly checks that ns holds exactly the events in want, by name,
// each with its count.
func countsExactly(t *testing.T, ns string, want map[string]int64) error {
	evs := listEvents(t, ns)
	if len(evs) != len(want) {
		return fmt.Errorf("%d events, want %d", len(evs), len(want))
	}
	for name, count := range want {
		e, ok := evs[name]
		if !ok {
			return fmt.Errorf("%s missing", name)
		}
		if e.Status.Count != count {
			return fmt.Errorf("%s count %d, want %d", name, e.Status.Count, count)
		}
	}
	return nil
}

// forwarder relays raw TCP from a loopback port to the API server, so TLS
// and client certificates pass through untouched. Blocked, it drops every
// connection: to its clients the API server is unreachable.
type forwarder struct {
	ln     net.Listener
	target string // host:port of the API server
	rc     *rest.Config

	mu      sync.Mutex
	blocked bool
	closed  bool
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
}

// startForwarder listens on 127.0.0.1 and relays to rc's host; cleanup
// stops it and waits for its goroutines.
func startForwarder(t *testing.T, rc *rest.Config) *forwarder {
	t.Helper()
	u, err := url.Parse(rc.Host)
	if err != nil || u.Host == "" {
		t.Fatalf("API server address %q: %v", rc.Host, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &forwarder{ln: ln, target: u.Host, conns: map[net.Conn]struct{}{}}
	f.rc = rest.CopyConfig(rc)
	f.rc.Host = (&url.URL{Scheme: u.Scheme, Host: ln.Addr().String(), Path: u.Path}).String()
	if f.rc.TLSClientConfig.ServerName == "" {
		f.rc.TLSClientConfig.ServerName = u.Hostname() // the serving certificate names the real host
	}
	f.wg.Go(f.serve)
	t.Cleanup(func() {
		f.close()
		done := make(chan struct{})
		go func() { f.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("forwarder goroutines did not exit")
		}
	})
	return f
}

// config is a copy of the API server's rest.Config that goes through f.
func (f *forwarder) config() *rest.Config { return rest.CopyConfig(f.rc) }

// block drops every open connection and every new one until unblock.
func (f *forwarder) block() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blocked = true
	for c := range f.conns {
		_ = c.Close()
	}
}

func (f *forwarder) unblock() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blocked = false
}

func (f *forwarder) close() {
	_ = f.ln.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for c := range f.conns {
		_ = c.Close()
	}
}

// track registers c unless f is blocked or closed, in which case c is
// closed instead; it reports whether c was registered.
func (f *forwarder) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.blocked || f.closed {
		_ = c.Close()
		return false
	}
	f.conns[c] = struct{}{}
	return true
}

func (f *forwarder) untrack(c net.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.conns, c)
	_ = c.Close()
}

func (f *forwarder) serve() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return // closed
		}
		if f.track(c) {
			f.wg.Go(func() { f.relay(c) })
		}
	}
}

// relay copies both ways between c and a new connection to the API
// server; when either side ends, both are closed.
func (f *forwarder) relay(c net.Conn) {
	defer f.untrack(c)
	up, err := net.DialTimeout("tcp", f.target, 5*time.Second)
	if err != nil {
		return
	}
	if !f.track(up) {
		return
	}
	defer f.untrack(up)
	f.wg.Go(func() {
		_, _ = io.Copy(up, c)
		_ = up.Close()
		_ = c.Close()
	})
	_, _ = io.Copy(c, up)
}
