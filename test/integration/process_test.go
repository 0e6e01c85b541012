package integration

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// daemonBinary builds cmd/zen-watcher once for the tests that need the
// real process: its memory is measured from outside.
var daemonBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "zen-watcher-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "zen-watcher")
	build := exec.Command("go", "build", "-o", bin, "./cmd/zen-watcher")
	build.Dir = repoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building zen-watcher: %w\n%s", err, out)
	}
	return bin, nil
})

// process is the daemon binary running against the test API server.
type process struct {
	cmd  *exec.Cmd
	url  string
	logs *lockedBuffer
}

// startProcess runs the daemon binary with env added to the defaults the
// tests need, and waits until it is ready.
func startProcess(t *testing.T, env ...string) *process {
	t.Helper()
	return startProcessOn(t, kubeconfig, env...)
}

// startProcessOn is startProcess against the control plane of kubeconfigPath.
func startProcessOn(t *testing.T, kubeconfigPath string, env ...string) *process {
	t.Helper()
	bin, err := daemonBinary()
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	p := &process{url: "http://127.0.0.1:" + strconv.Itoa(port), logs: &lockedBuffer{}}
	p.cmd = exec.Command(bin, "--kubeconfig", kubeconfigPath)
	p.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "WATCHER_PORT=" + strconv.Itoa(port), "WATCH_INTERVAL=1s",
		"EVENT_TTL=87600h", "SHUTDOWN_DELAY=0"}, env...)
	p.cmd.Stderr = p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = p.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", p.logs)
		}
	})
	eventually(t, "daemon process ready", func() error {
		resp, err := http.Get(p.url + "/ready")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("ready: %d", resp.StatusCode)
		}
		return nil
	})
	return p
}

// memoryKiB reads one field (VmHWM, VmRSS) of the process's status, in KiB.
func (p *process) memoryKiB(t *testing.T, field string) int64 {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(status, []byte("\n")) {
		if v, ok := strings.CutPrefix(string(line), field+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, p.cmd.Process.Pid)
	return 0
}
