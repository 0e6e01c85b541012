package main

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/kube-zen/zen-watcher/hack/loadgen/load"
)

// falcoAlert is one real Falco alert (Terminal shell in container), sent
// again and again: after the first, every request is a repeat.
//
//go:embed falco_alert.json
var falcoAlert []byte

const (
	benchToken   = "bench-webhook-token-0123456789abcdef"
	benchHMACKey = "bench-hmac-key-0123456789abcdef"
)

// trivial is the baseline server: a Go JSON handler that reads the body,
// parses it, and answers 202 with a small JSON body, as zen-watcher does.
// It runs in a process of its own (this program, re-run with
// -serve-trivial), as zen-watcher does, so the load generator competes
// with it exactly as much as with zen-watcher.
type trivial struct {
	cmd *exec.Cmd
	url string
}

func startTrivial() (*trivial, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-serve-trivial")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the trivial handler: %w", err)
	}
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("the trivial handler did not say its address: %w", err)
	}
	return &trivial{cmd: cmd, url: "http://" + strings.TrimSpace(addr) + "/falco/webhook"}, nil
}

func (t *trivial) stop() {
	_ = t.cmd.Process.Kill()
	_ = t.cmd.Wait()
}

// serveTrivial is the trivial handler's process: it prints its address
// and serves until killed.
func serveTrivial() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr().String())
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var v map[string]any
		if err == nil {
			err = json.Unmarshal(body, &v)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"accepted":1}`))
	})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	return srv.Serve(ln)
}

// drive runs one load and fails when any answer is not 2xx.
func drive(name string, o load.Options) (load.Report, error) {
	if o.Body == nil {
		o.Body = falcoAlert
	}
	r, err := load.Run(o)
	if err != nil {
		return r, fmt.Errorf("%s: %w", name, err)
	}
	fmt.Printf("  %-44s %8.0f req/s  p50 %-10s p99 %-10s %v errors %d\n", name, r.PerSecond(), r.P50.Round(10*time.Microsecond),
		r.P99.Round(10*time.Microsecond), r.Codes, r.Errors)
	if r.OK() != r.Requests || r.Requests == 0 {
		return r, fmt.Errorf("%s: %d of %d answers were not 2xx (%v, first error %v)", name, r.Requests-r.OK(), r.Requests, r.Codes, r.FirstErr)
	}
	return r, nil
}

func bearer() []string { return []string{"Authorization: Bearer " + benchToken} }
