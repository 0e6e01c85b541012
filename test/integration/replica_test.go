package integration

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// replica is zen-watcher running as a child process, as one pod of
// several.
type replica struct {
	name   string
	cmd    *exec.Cmd
	url    string
	logs   *lockedBuffer
	exited chan struct{} // closed when the process has exited
	err    error         // its exit status, once exited
	at     time.Time     // when it exited
}

// startReplica runs the daemon with the shared control plane's kubeconfig
// and env on top of a clean environment, and stops it at the test's end.
func startReplica(t *testing.T, name string, env ...string) *replica {
	t.Helper()
	bin, err := daemonBinary()
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	p := &replica{name: name, url: "http://127.0.0.1:" + strconv.Itoa(port), logs: &lockedBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, "--kubeconfig", kubeconfig)
	p.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"WATCHER_PORT=" + strconv.Itoa(port), "POD_NAME=" + name}, env...)
	p.cmd.Stdout, p.cmd.Stderr = io.Discard, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); p.at = time.Now(); close(p.exited) }()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.exited:
			case <-time.After(30 * time.Second):
				_ = p.cmd.Process.Kill()
				<-p.exited
			}
		}
		if t.Failed() {
			t.Logf("%s log:\n%s", name, p.logs)
		}
	})
	return p
}

// get answers the status and body of path, or 0 when nothing answers.
func (p *replica) get(path string) (int, string) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(p.url + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitReady waits, with a generous deadline, until /ready answers 200.
func (p *replica) waitReady(t *testing.T) {
	t.Helper()
	eventually(t, p.name+" ready", func() error {
		select {
		case <-p.exited:
			return fmt.Errorf("exited: %v", p.err)
		default:
		}
		if code, body := p.get("/ready"); code != http.StatusOK {
			return fmt.Errorf("%d %s", code, body)
		}
		return nil
	})
}

// leading reports whether the process says it leads.
func (p *replica) leading() bool {
	_, body := p.get("/metrics")
	return strings.Contains(body, "\nzen_watcher_leader 1\n")
}

func (p *replica) signal(t *testing.T, sig syscall.Signal) time.Time {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	return time.Now()
}

// post sends body to a webhook of the process, as daemon.post does.
func (p *replica) post(t *testing.T, path, token string, body []byte) (int, string) {
	t.Helper()
	return (&daemon{url: p.url}).post(t, path, token, body)
}
