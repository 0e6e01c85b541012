package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kube-zen/zen-watcher/internal/config"
)

// TestPluginDoctor: healthy, then one thing broken at a time, each failing
// with its own line. envtest has no kubelet, so the pods are marked ready
// by hand and the daemon is reached with --url: the port-forward path is
// not exercised end to end here.
func TestPluginDoctor(t *testing.T) {
	d := startWebhookDaemon(t, func(*config.Config) {})
	dir := t.TempDir()
	tokenFile, wrongFile := filepath.Join(dir, "token"), filepath.Join(dir, "wrong")
	if err := os.WriteFile(tokenFile, []byte(webhookToken), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wrongFile, []byte("wrong-token"), 0o600); err != nil {
		t.Fatal(err)
	}
	zenNS := newNamespace(t)
	fakeDeployment(t, zenNS)
	base := []string{"doctor", "--zen-namespace", zenNS, "-n", "default"}

	healthy := zen(t, "", append(base, "--url", d.url, "--token-file", tokenFile)...)
	if healthy.code != 0 {
		t.Fatalf("healthy: exit %d\n%s%s", healthy.code, healthy.out, healthy.err)
	}
	want := []string{"✔ CRD:", "✔ pods: 1/1", "✔ leader: Lease " + zenNS + "/zen-watcher held by zen-watcher-0", "✔ daemon: ready",
		"✔ tools:", "✔ webhook:", "✔ access: you can list findings in namespace default"}
	lines := strings.Split(strings.TrimSpace(healthy.out), "\n")
	if len(lines) != len(want) {
		t.Fatalf("want %d lines:\n%s", len(want), healthy.out)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d: %q; want it to start with %q", i, lines[i], w)
		}
	}
	// The same through kubectl, as a plugin on PATH.
	if r := kubectlZen(t, append(base, "--url", d.url, "--token-file", tokenFile)...); r.code != 0 || r.out != healthy.out {
		t.Errorf("kubectl zen doctor: %d\n%s%s", r.code, r.out, r.err)
	}

	for _, c := range []struct {
		name string
		args []string
		line string
	}{
		{"wrong token", []string{"--url", d.url, "--token-file", wrongFile}, "✘ webhook: /falco/webhook refused the credentials (401)"},
		{"no token", []string{"--url", d.url}, "✘ webhook: /falco/webhook refused the credentials (401)"},
		{"daemon down", []string{"--url", "http://127.0.0.1:1", "--token-file", tokenFile}, "✘ daemon:"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := zen(t, "", append(base, c.args...)...)
			if r.code != 1 || !strings.Contains(r.out, "\n"+c.line) || !strings.Contains(r.out, "    fix: ") {
				t.Errorf("exit %d; want 1 and the line %q with a fix:\n%s%s", r.code, c.line, r.out, r.err)
			}
		})
	}

	t.Run("CRD missing", func(t *testing.T) {
		// A second, small control plane without the CRD.
		env := newEnvironment()
		env.CRDDirectoryPaths, env.ErrorIfCRDPathMissing = nil, false
		cfg, err := env.Start()
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = env.Stop() }()
		_ = cfg
		kc := filepath.Join(t.TempDir(), "kubeconfig")
		if err := os.WriteFile(kc, env.KubeConfig, 0o600); err != nil {
			t.Fatal(err)
		}
		r := runCmd(t, execPlugin(t, append([]string{"--kubeconfig", kc}, append(base, "--url", d.url, "--token-file", tokenFile)...)...), "")
		if r.code != 1 || !strings.HasPrefix(r.out, "✘ CRD: zenagentevents.zen.kube-zen.io is not installed\n    fix: kubectl apply -f config/crd/") {
			t.Errorf("exit %d:\n%s%s", r.code, r.out, r.err)
		}
	})
}
