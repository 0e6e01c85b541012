package server

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kube-zen/zen-watcher/internal/health"
	"github.com/kube-zen/zen-watcher/internal/version"
)

func newTestServer(t *testing.T, r *health.Readiness) *httptest.Server {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(version.NewBuildInfoCollector())
	srv := httptest.NewServer(NewHandler(Options{Readiness: r, Gatherer: reg, Logger: slog.New(slog.DiscardHandler)}))
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, method, url string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestHealthIsAlwaysOK(t *testing.T) {
	srv := newTestServer(t, health.NewReadiness("apiserver"))
	resp, body := get(t, http.MethodGet, srv.URL+"/health")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"ok"`) {
		t.Fatalf("/health = %d %s", resp.StatusCode, body)
	}
}

func TestReadyNamesWhatIsMissing(t *testing.T) {
	r := health.NewReadiness("apiserver", "crd")
	srv := newTestServer(t, r)
	for _, path := range []string{"/ready", "/readyz"} {
		resp, body := get(t, http.MethodGet, srv.URL+path)
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("%s = %d, want 503", path, resp.StatusCode)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s content type %q", path, ct)
		}
		var got readinessBody
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("%s body %q: %v", path, body, err)
		}
		if _, ok := got.Missing["crd"]; !ok || got.Status != "not ready" {
			t.Errorf("%s body should name crd: %s", path, body)
		}
	}
	r.Set("apiserver", nil)
	r.Set("crd", nil)
	for _, path := range []string{"/ready", "/readyz"} {
		if resp, body := get(t, http.MethodGet, srv.URL+path); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s = %d %s, want 200", path, resp.StatusCode, body)
		}
	}
}

func TestReadyVerbose(t *testing.T) {
	r := health.NewReadiness("apiserver", "webhooks")
	r.Set("apiserver", nil)
	r.Poll("source/kyverno", func() error {
		return health.Degraded(errors.New("forbidden: policyreports is forbidden:\nUser \"x\" cannot list"))
	})
	srv := newTestServer(t, r)
	resp, body := get(t, http.MethodGet, srv.URL+"/ready?verbose")
	want := "[+]apiserver ok\n[-]webhooks failed: not checked yet\n" +
		"[+]source/kyverno degraded: forbidden: policyreports is forbidden: User \"x\" cannot list\nready check failed\n"
	if resp.StatusCode != http.StatusServiceUnavailable || body != want {
		t.Fatalf("/ready?verbose = %d\n%s\nwant 503\n%s", resp.StatusCode, body, want)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("content type %q", ct)
	}
	r.Set("webhooks", nil)
	resp, body = get(t, http.MethodGet, srv.URL+"/readyz?verbose=1")
	if resp.StatusCode != http.StatusOK || !strings.HasSuffix(body, "[+]webhooks ok\n[+]source/kyverno degraded: forbidden: policyreports is forbidden: User \"x\" cannot list\nready check passed\n") {
		t.Fatalf("/readyz?verbose=1 = %d\n%s", resp.StatusCode, body)
	}
	resp, body = get(t, http.MethodGet, srv.URL+"/ready")
	var got readinessBody
	if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != http.StatusOK || got.Status != "ready" ||
		!strings.HasPrefix(got.Degraded["source/kyverno"], "forbidden") || len(got.Missing) != 0 {
		t.Fatalf("/ready = %d %s (%v)", resp.StatusCode, body, err)
	}
}

func TestMetricsExposeBuildInfo(t *testing.T) {
	srv := newTestServer(t, health.NewReadiness())
	resp, body := get(t, http.MethodGet, srv.URL+"/metrics")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "zen_watcher_build_info{") {
		t.Fatalf("/metrics = %d, body lacks build info:\n%s", resp.StatusCode, body)
	}
}

func TestWrongMethodAndUnknownPath(t *testing.T) {
	srv := newTestServer(t, health.NewReadiness("crd"))
	resp, _ := get(t, http.MethodPost, srv.URL+"/health")
	if resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(resp.Header.Get("Allow"), "GET") {
		t.Errorf("POST /health = %d Allow=%q, want 405 with Allow", resp.StatusCode, resp.Header.Get("Allow"))
	}
	if resp, _ := get(t, http.MethodHead, srv.URL+"/ready"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("HEAD /ready = %d, want 503", resp.StatusCode)
	}
	if resp, _ := get(t, http.MethodGet, srv.URL+"/nope"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nope = %d, want 404", resp.StatusCode)
	}
}
