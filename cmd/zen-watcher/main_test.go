package main

import (
	"bytes"
	"strings"
	"testing"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func TestInvalidEnvExitsTwoBeforeConnecting(t *testing.T) {
	// A kubeconfig that would fail loudly if it were read proves the config
	// check comes first.
	t.Setenv("KUBECONFIG", "/nonexistent/kubeconfig")
	var stderr bytes.Buffer
	code := run(nil, env(map[string]string{"WATCHER_PORT": "http", "BEHAVIOR_MODE": "loud"}), &stderr)
	if code != 2 {
		t.Fatalf("exit code %d, want 2; stderr:\n%s", code, stderr.String())
	}
	out := stderr.String()
	for _, want := range []string{`WATCHER_PORT="http"`, `BEHAVIOR_MODE="loud"`, "one of all, conservative"} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "kubeconfig") {
		t.Errorf("the kubeconfig was looked at before the config was valid:\n%s", out)
	}
}

func TestNoClusterConfiguredExitsTwo(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	var stderr bytes.Buffer
	if code := run(nil, env(nil), &stderr); code != 2 {
		t.Fatalf("exit code %d, want 2; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "no kubeconfig found") {
		t.Errorf("stderr should say how to configure a cluster:\n%s", stderr.String())
	}
}

func TestBadKubeconfigFlagExitsTwo(t *testing.T) {
	var stderr bytes.Buffer
	if code := run([]string{"--kubeconfig", "/nonexistent/kubeconfig"}, env(nil), &stderr); code != 2 {
		t.Fatalf("exit code %d, want 2; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "/nonexistent/kubeconfig") {
		t.Errorf("stderr should name the file:\n%s", stderr.String())
	}
}

func TestUnknownFlagExitsTwo(t *testing.T) {
	var stderr bytes.Buffer
	if code := run([]string{"--frobnicate"}, env(nil), &stderr); code != 2 {
		t.Fatalf("exit code %d, want 2", code)
	}
}

func TestVersion(t *testing.T) {
	var stderr bytes.Buffer
	if code := run([]string{"--version"}, env(nil), &stderr); code != 0 || !strings.HasPrefix(stderr.String(), "zen-watcher ") {
		t.Fatalf("--version: code %d, %q", code, stderr.String())
	}
}
