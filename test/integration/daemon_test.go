package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/kube-zen/zen-watcher/internal/app"
	"github.com/kube-zen/zen-watcher/internal/config"
)

// daemon is zen-watcher running in-process against some API server.
type daemon struct {
	url      string
	stop     func() error // cancels Run and returns its result
	registry *prometheus.Registry
	events   *app.Events
	logs     *lockedBuffer // every log line at Info and above
}

// lockedBuffer is a bytes.Buffer safe for the daemon's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startDaemon(t *testing.T, rc *rest.Config) *daemon {
	return startDaemonWith(t, rc, func(*config.Config) {})
}

// startDaemonWith runs the daemon with the defaults changed by tune.
func startDaemonWith(t *testing.T, rc *rest.Config, tune func(*config.Config)) *daemon {
	t.Helper()
	return startDaemonOpts(t, rc, tune, func(*app.Options) {})
}

// startDaemonOpts is startDaemonWith with the app options changed by opts.
func startDaemonOpts(t *testing.T, rc *rest.Config, tune func(*config.Config), opts func(*app.Options)) *daemon {
	t.Helper()
	cfg, err := config.Load(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	cfg.WatchInterval = time.Second
	cfg.ShutdownTimeout = 5 * time.Second
	// Tests that read /metrics are not about who may: the ones that are
	// set METRICS_AUTH=kubernetes, the default, themselves.
	cfg.MetricsAuth = config.MetricsAuthNone
	// Tests stop daemons often; the delay only matters behind a Service.
	cfg.ShutdownDelay = 0
	// A Lease of its own per test: a daemon left by another test never
	// holds back this one's election.
	cfg.LeaderElection.ID = leaseName(t)
	// The fixtures' findings are years old: retention would delete their
	// events as soon as it runs, racing the tests that look for them.
	cfg.EventTTL = 10 * 365 * 24 * time.Hour
	tune(&cfg)
	reg := prometheus.NewRegistry()
	eventsCh := make(chan *app.Events, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs := &lockedBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("daemon log:\n%s", logs)
		}
	})
	o := app.Options{
		Config: cfg, RESTConfig: rc, Listener: ln,
		Logger:   slog.New(slog.NewJSONHandler(logs, nil)),
		Registry: reg,
		OnEvents: func(e *app.Events) { eventsCh <- e },
	}
	opts(&o)
	go func() { done <- app.Run(ctx, o) }()
	d := &daemon{url: "http://" + ln.Addr().String(), registry: reg, logs: logs, stop: sync.OnceValue(func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			t.Error("daemon did not stop after its context ended")
			return nil
		}
	})}
	t.Cleanup(func() { _ = d.stop() })
	select {
	case d.events = <-eventsCh:
	case err := <-done:
		t.Fatalf("daemon stopped at start: %v", err)
	}
	d.waitServing(t)
	return d
}

// waitServing returns once the HTTP server answers, by which time Run has
// built the pipeline.
func (d *daemon) waitServing(t *testing.T) {
	t.Helper()
	eventually(t, "daemon serving", func() error {
		resp, err := http.Get(d.url + "/health")
		if err == nil {
			resp.Body.Close()
		}
		return err
	})
}

// leaseName is a Lease name of the test's own.
func leaseName(t *testing.T) string {
	name := "zen-" + uniqueName(t)
	if len(name) > 253 {
		name = name[len(name)-253:]
	}
	return strings.Trim(name, "-.")
}

func (d *daemon) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(d.url + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// waitReady polls /ready until it answers want or the deadline passes, and
// returns the last body. A deadline here bounds the wait; it asserts nothing
// about speed.
func (d *daemon) waitReady(t *testing.T, want int) string {
	t.Helper()
	var code int
	var body string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if code, body = d.get(t, "/ready"); code == want {
			return body
		}
	}
	t.Fatalf("/ready stayed %d, want %d: %s", code, want, body)
	return ""
}

func missing(t *testing.T, body string) map[string]string {
	t.Helper()
	var b struct {
		Missing map[string]string `json:"missing"`
	}
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatalf("/ready body %q: %v", body, err)
	}
	return b.Missing
}

func TestDaemonBecomesReadyAndStopsCleanly(t *testing.T) {
	if err := createRaw(t, validEvent(uniqueName(t))); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, restConfig)
	d.waitReady(t, http.StatusOK)
	if code, _ := d.get(t, "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d", code)
	}
	if code, _ := d.get(t, "/health"); code != http.StatusOK {
		t.Errorf("/health = %d", code)
	}
	_, metrics := d.get(t, "/metrics")
	for _, want := range []string{"zen_watcher_build_info{", `zen_watcher_stored_events{severity="HIGH",source="trivy"}`, "go_goroutines", "process_resident_memory_bytes"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if err := d.stop(); err != nil {
		t.Errorf("graceful stop returned %v", err)
	}
	if _, err := http.Get(d.url + "/health"); err == nil {
		t.Error("server still answers after stop")
	}
}

func TestDaemonWithoutAPIServerStaysUnready(t *testing.T) {
	// A port nothing listens on: connections are refused at once.
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	d := startDaemon(t, &rest.Config{Host: "https://" + addr})
	body := d.waitReady(t, http.StatusServiceUnavailable)
	// Give the first check time to fail, then look again.
	for i := 0; i < 50 && !strings.Contains(body, "unreachable"); i++ {
		time.Sleep(100 * time.Millisecond)
		_, body = d.get(t, "/ready")
	}
	m := missing(t, body)
	if !strings.Contains(m["apiserver"], "unreachable") || m["crd"] == "" || m["index"] == "" {
		t.Errorf("/ready should name apiserver, crd and index: %s", body)
	}
	if code, _ := d.get(t, "/health"); code != http.StatusOK {
		t.Errorf("/health = %d while the API server is away; liveness must not depend on it", code)
	}
	if err := d.stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
}

func TestDaemonNamesMissingCRDAndRecoversWhenInstalled(t *testing.T) {
	env := &envtest.Environment{BinaryAssetsDirectory: assetsDir()}
	rc, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })

	d := startDaemon(t, rc)
	var body string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, body = d.get(t, "/ready"); strings.Contains(body, "not installed") {
			break
		}
	}
	m := missing(t, body)
	if !strings.Contains(m["crd"], "zenagentevents.zen.kube-zen.io") {
		t.Fatalf("/ready should name the missing CRD: %s", body)
	}
	if _, ok := m["apiserver"]; ok {
		t.Errorf("the API server answered, yet /ready calls it missing: %s", body)
	}

	if _, err := envtest.InstallCRDs(rc, envtest.CRDInstallOptions{Paths: []string{filepath.Join(repoRoot(), "config", "crd")}, ErrorIfPathMissing: true}); err != nil {
		t.Fatal(err)
	}
	d.waitReady(t, http.StatusOK)
}
