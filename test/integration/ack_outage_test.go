package integration

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source/falco"
)

// TestStoredAckLosesNothingInAnAPIServerOutage runs the daemon with
// FALCO_ACK=stored against a control plane of its own, whose kube-apiserver
// kills (SIGKILL) and starts again 30 seconds later on the same port and
// etcd.
// Senders post new alerts throughout and retry every non-2xx answer with the
// same X-Request-Id. During the outage they get 503s; afterwards every
// alert a sender got a 2xx for is stored, counted once.
func TestStoredAckLosesNothingInAnAPIServerOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("stops a control plane of its own for 30s")
	}
	env := newEnvironment(filepath.Join(repoRoot(), "config", "crd"))
	// A certificate folder of our own survives the restart, so the
	// restarted server keeps its certificates and the daemon's client works.
	env.ControlPlane.APIServer = &envtest.APIServer{CertDir: t.TempDir()}
	rc, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	c, err := client.New(rc, client.Options{Scheme: k8sClient.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	d := startDaemonWith(t, rc, func(c *config.Config) {
		c.Webhooks.Token = webhookToken
		c.Webhooks.FalcoAck = config.AckStored
		c.FlushInterval = 200 * time.Millisecond
	})
	d.waitReady(t, http.StatusOK)

	var (
		mu    sync.Mutex
		acked = map[string]bool{} // object names of alerts answered 2xx
		codes = map[int]int{}
	)
	// send posts one alert until it gets a 2xx or the deadline passes.
	send := func(rule string, deadline time.Time) {
		body := alert(rule, "outage")
		for time.Now().Before(deadline) {
			req, _ := http.NewRequest(http.MethodPost, d.url+"/falco/webhook", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+webhookToken)
			req.Header.Set("X-Request-Id", rule)
			resp, err := http.DefaultClient.Do(req)
			code := 0
			if err == nil {
				resp.Body.Close()
				code = resp.StatusCode
			}
			mu.Lock()
			codes[code]++
			if code/100 == 2 {
				acked[rule] = true
			}
			mu.Unlock()
			if code/100 == 2 {
				return
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	prefix := fmt.Sprintf("outage-%d", time.Now().UnixNano())
	var wg sync.WaitGroup
	stopSending := make(chan struct{})
	const senders = 4
	for s := range senders {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stopSending:
					return
				default:
				}
				send(fmt.Sprintf("%s-%d-%d", prefix, s, i), time.Now().Add(90*time.Second))
				time.Sleep(50 * time.Millisecond)
			}
		})
	}

	time.Sleep(3 * time.Second)
	api := env.ControlPlane.APIServer
	// SIGKILL, not envtest's graceful stop: kube-apiserver keeps serving
	// for up to a minute after SIGTERM, and a crash is the harder case.
	killAPIServer(t, rc.Host)
	down := time.Now()
	if err := api.Stop(); err != nil { // reaps the process, keeps the certificates
		t.Fatal(err)
	}
	time.Sleep(time.Until(down.Add(30 * time.Second)))
	if err := api.Start(); err != nil {
		t.Fatalf("restarting kube-apiserver: %v", err)
	}
	t.Logf("kube-apiserver away for %s", time.Since(down).Round(time.Second))
	time.Sleep(3 * time.Second)
	close(stopSending)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	t.Logf("answers: %v; %d alerts acknowledged", codes, len(acked))
	if codes[http.StatusServiceUnavailable] == 0 {
		t.Error("no 503 during the outage: the answers did not wait for the store")
	}
	var list zenv1.ZenAgentEventList
	if err := c.List(context.Background(), &list, client.MatchingLabels{zenv1.LabelSource: "falco"}); err != nil {
		t.Fatal(err)
	}
	stored := map[string]int64{}
	for _, e := range list.Items {
		stored[e.Labels[zenv1.LabelKeyHash]] = e.Status.Count
	}
	missing := 0
	for rule := range acked {
		h := falcoKeyHash(t, alert(rule, "outage"))
		if _, ok := stored[h]; !ok {
			missing++
			if missing <= 5 {
				t.Errorf("alert %s acknowledged but not stored", rule)
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged alerts lost", missing, len(acked))
	}
}

// falcoKeyHash is the key hash the pipeline stores alert body under.
func falcoKeyHash(t *testing.T, body []byte) string {
	t.Helper()
	prio, _ := falco.ParsePriority("Debug")
	b, err := falco.NewParser(prio).Parse(body, time.Now())
	if err != nil || len(b.Findings) != 1 {
		t.Fatalf("parsing the test alert: %v (%d findings)", err, len(b.Findings))
	}
	key, _ := finding.StoredKey(b.Findings[0].DedupKey)
	return finding.KeyHash("falco", key)
}

// killAPIServer sends SIGKILL to the kube-apiserver serving host (the
// test's own, found by its --secure-port) and waits until the port no
// longer answers.
func killAPIServer(t *testing.T, host string) {
	t.Helper()
	u, err := url.Parse(host)
	if err != nil {
		t.Fatal(err)
	}
	flag := []byte("--secure-port=" + u.Port() + "\x00")
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		cmd, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(cmd, []byte("kube-apiserver")) || !bytes.Contains(cmd, flag) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatalf("killing kube-apiserver %d: %v", pid, err)
		}
		eventually(t, "kube-apiserver gone", func() error {
			c, err := net.DialTimeout("tcp", u.Host, time.Second)
			if err == nil {
				c.Close()
				return fmt.Errorf("port %s still answers", u.Port())
			}
			return nil
		})
		return
	}
	t.Fatalf("no kube-apiserver process with --secure-port=%s", u.Port())
}
