package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// daemon is the zen-watcher binary running against the bench's cluster.
type daemon struct {
	cmd  *exec.Cmd
	url  string
	logs *lockedBuffer
}

// startDaemon runs bin with the bench's defaults plus env and waits until
// /ready answers 200 (at most two minutes: 100k stored events take a
// while to list on a loaded machine).
func startDaemon(ctx context.Context, bin, kubeconfig string, env ...string) (*daemon, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	d := &daemon{url: "http://127.0.0.1:" + strconv.Itoa(port), logs: &lockedBuffer{}}
	d.cmd = exec.Command(bin, "--kubeconfig", kubeconfig)
	d.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "WATCHER_PORT=" + strconv.Itoa(port), "METRICS_AUTH=none",
		"SHUTDOWN_DELAY=0", "LEADER_ELECTION=false", "LOG_LEVEL=warn", "EVENT_TTL=87600h", "MAX_EVENTS=0", "MAX_STORED_BYTES=0"}, env...)
	d.cmd.Stderr = d.logs
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(d.url + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return d, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			d.stop()
			return nil, fmt.Errorf("zen-watcher not ready after 2m; its log:\n%s", d.logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop interrupts the daemon and waits for it to drain and exit.
func (d *daemon) stop() {
	_ = d.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = d.cmd.Process.Kill()
		<-done
	}
}

// memoryMiB reads one field of /proc/<pid>/status (VmRSS, VmHWM) in MiB.
func (d *daemon) memoryMiB(field string) (float64, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", d.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kib, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kib / 1024, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, d.cmd.Process.Pid)
}

// metrics scrapes /metrics.
func (d *daemon) metrics() (map[string]*dto.MetricFamily, error) {
	resp, err := http.Get(d.url + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(resp.Body)
}

// sum adds the values (counter, gauge, or histogram sample count) of the
// series of name whose labels include match.
func sum(mfs map[string]*dto.MetricFamily, name string, match map[string]string) float64 {
	var total float64
	mf := mfs[name]
	if mf == nil {
		return 0
	}
series:
	for _, m := range mf.GetMetric() {
		for k, v := range match {
			found := false
			for _, l := range m.GetLabel() {
				found = found || (l.GetName() == k && l.GetValue() == v)
			}
			if !found {
				continue series
			}
		}
		total += m.GetCounter().GetValue() + m.GetGauge().GetValue() + float64(m.GetHistogram().GetSampleCount())
	}
	return total
}

// lockedBuffer collects the daemon's log.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 {
		return len(p), nil // enough to say what went wrong
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
