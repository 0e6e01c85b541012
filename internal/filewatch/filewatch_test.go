package filewatch

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// words parses one file of comma-separated words; none is an error, as an
// emptied Secret would be.
func words(parses *atomic.Int32) func([][]byte) ([]string, error) {
	return func(c [][]byte) ([]string, error) {
		parses.Add(1)
		w := strings.FieldsFunc(string(c[0]), func(r rune) bool { return r == ',' || r == '\n' })
		if len(w) == 0 {
			return nil, errors.New("no words")
		}
		return w, nil
	}
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestLoadReportsWhatCannotBeRead(t *testing.T) {
	dir := t.TempDir()
	var parses atomic.Int32
	if _, err := Load("token", words(&parses), filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "reading the token file") {
		t.Errorf("missing file: %v", err)
	}
	empty := filepath.Join(dir, "empty")
	write(t, empty, "\n")
	if _, err := Load("token", words(&parses), empty); err == nil || err.Error() != "no words" {
		t.Errorf("file that does not parse: %v", err)
	}
}

func TestWatcherKeepsTheLastGoodValue(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tokens")
	write(t, path, "a")
	var parses atomic.Int32
	f, err := Load("webhook token", words(&parses), path)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var heard [][]string
	f.OnChange(func(v []string) {
		mu.Lock()
		defer mu.Unlock()
		heard = append(heard, v)
	})
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	w := NewWatcher(time.Millisecond, m, slog.New(slog.DiscardHandler))
	w.Add(f)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	defer func() { cancel(); <-done }()

	reloads := func() float64 { return testutil.ToFloat64(m.reloads.WithLabelValues("webhook token")) }
	errs := func() float64 { return testutil.ToFloat64(m.errors.WithLabelValues("webhook token")) }
	time.Sleep(20 * time.Millisecond) // many ticks over unchanged bytes
	if n := parses.Load(); n != 1 || reloads() != 0 {
		t.Fatalf("unchanged file parsed %d times, %v reloads; want once, at Load", n, reloads())
	}

	write(t, path, "a,b")
	waitFor(t, "the new value", func() bool { return len(f.Get()) == 2 })
	write(t, path, "") // a Secret mid-swap
	waitFor(t, "an error counted", func() bool { return errs() >= 1 })
	if got := f.Get(); strings.Join(got, ",") != "a,b" {
		t.Errorf("value after a bad read %v; want the last good one", got)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	before := errs()
	waitFor(t, "a missing file counted", func() bool { return errs() > before })
	write(t, path, "b")
	waitFor(t, "recovery", func() bool { return strings.Join(f.Get(), ",") == "b" })
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if len(heard) != 2 || strings.Join(heard[0], ",") != "a,b" || strings.Join(heard[1], ",") != "b" {
		t.Errorf("OnChange heard %v; want [a b] then [b]", heard)
	}
	if reloads() != 2 {
		t.Errorf("%v reloads; want 2", reloads())
	}
}

func TestFilesReadTogether(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	write(t, a, "1")
	write(t, b, "2")
	join := func(c [][]byte) (string, error) { return string(c[0]) + string(c[1]), nil }
	f, err := Load("pair", join, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if f.Get() != "12" {
		t.Fatalf("Get %q", f.Get())
	}
	write(t, b, "3")
	if changed, err := f.reload(); !changed || err != nil || f.Get() != "13" {
		t.Errorf("after the second file changed: %v, %v, %q", changed, err, f.Get())
	}
	if changed, err := f.reload(); changed || err != nil {
		t.Errorf("unchanged: %v, %v", changed, err)
	}
}
