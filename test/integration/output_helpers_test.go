package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/api/v1alpha1"
)

// startAlertmanager runs bin/alertmanager (built by make tools) with a
// short resolve_timeout and no cluster, and returns its URL.
func startAlertmanager(t *testing.T, resolveTimeout time.Duration) string {
	t.Helper()
	bin := filepath.Join(repoRoot(), "bin", "alertmanager")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("no Alertmanager in bin/ (run `make tools`): %v", err)
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf("global:\n  resolve_timeout: %s\nroute:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n", resolveTimeout)
	if err := os.WriteFile(filepath.Join(dir, "am.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	logs := &lockedBuffer{}
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "am.yml"), "--storage.path="+dir,
		"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=warn")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("alertmanager log:\n%s", logs)
		}
	})
	url := "http://" + addr
	eventually(t, "alertmanager ready", func() error {
		resp, err := http.Get(url + "/-/ready")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("ready: %s", resp.Status)
		}
		return nil
	})
	return url
}

// amAlert is the part of the v2 API's gettableAlert the tests read.
type amAlert struct {
	Labels map[string]string `json:"labels"`
	Status struct {
		State string `json:"state"`
	} `json:"status"`
	StartsAt time.Time `json:"startsAt"`
	EndsAt   time.Time `json:"endsAt"`
}

// activeAlerts returns Alertmanager's alerts by their finding label.
func activeAlerts(t *testing.T, url string) map[string]amAlert {
	t.Helper()
	resp, err := http.Get(url + "/api/v2/alerts?active=true&silenced=false&inhibited=false")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []amAlert
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	out := map[string]amAlert{}
	for _, a := range list {
		if a.EndsAt.IsZero() || a.EndsAt.After(time.Now()) {
			out[a.Labels["finding"]] = a
		}
	}
	return out
}

// storeFinding creates one ZenAgentEvent directly, as the writer would.
func storeFinding(t *testing.T, ns, name string, sev zenv1.Severity) *zenv1.ZenAgentEvent {
	t.Helper()
	now := metav1.Now()
	e := &zenv1.ZenAgentEvent{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: zenv1.ZenAgentEventSpec{Source: "falco", Category: zenv1.CategorySecurity, Severity: sev, EventType: "runtime-security",
			Rule: "terminal-shell", Title: "A shell in " + name, DetectedAt: now, DedupKey: ns + "/" + name,
			Resource: &zenv1.ResourceRef{Kind: "Pod", Name: name + "-pod", Namespace: ns}},
		Status: zenv1.ZenAgentEventStatus{Count: 1, FirstSeen: &now, LastSeen: &now, State: zenv1.StateOpen},
	}
	if err := k8sClient.Create(context.Background(), e); err != nil {
		t.Fatalf("storing finding %s/%s: %v", ns, name, err)
	}
	return e
}

// resolveFinding marks a stored finding Resolved.
func resolveFinding(t *testing.T, ns, name string) {
	t.Helper()
	var e zenv1.ZenAgentEvent
	if err := k8sClient.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &e); err != nil {
		t.Fatal(err)
	}
	now := metav1.Now()
	e.Status.State, e.Status.ResolvedAt = zenv1.StateResolved, &now
	if err := k8sClient.Update(context.Background(), &e); err != nil {
		t.Fatalf("resolving %s/%s: %v", ns, name, err)
	}
}

// createOutput creates a ZenOutput, deleted when the test ends so that
// later tests' daemons do not deliver to it.
func createOutput(t *testing.T, ns, name string, spec v1alpha1.ZenOutputSpec) {
	t.Helper()
	o := &v1alpha1.ZenOutput{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: spec}
	if err := k8sClient.Create(context.Background(), o); err != nil {
		t.Fatalf("creating ZenOutput %s/%s: %v", ns, name, err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), o) })
}

// outputStatus reads a ZenOutput's status.
func outputStatus(t *testing.T, ns, name string) v1alpha1.ZenOutputStatus {
	t.Helper()
	var o v1alpha1.ZenOutput
	if err := k8sClient.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &o); err != nil {
		t.Fatal(err)
	}
	return o.Status
}

// outputReady waits for the output's Ready condition to be status.
func outputReady(t *testing.T, ns, name string, status metav1.ConditionStatus) *metav1.Condition {
	t.Helper()
	var c *metav1.Condition
	eventually(t, "ZenOutput "+ns+"/"+name+" Ready="+string(status), func() error {
		c = meta.FindStatusCondition(outputStatus(t, ns, name).Conditions, v1alpha1.ConditionReady)
		if c == nil || c.Status != status {
			return fmt.Errorf("Ready condition %+v", c)
		}
		return nil
	})
	return c
}

// receiver is an Alertmanager API stand-in that counts the alerts it
// accepts per finding, and can refuse (a status code) or hang.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    map[string]int // finding → alerts accepted
	status atomic.Int32   // answered when not 200; 0 means accept
	hang   atomic.Bool
	calls  atomic.Int64
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{got: map[string]int{}}
	stop := make(chan struct{})
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.calls.Add(1)
		if r.hang.Load() {
			select {
			case <-req.Context().Done():
			case <-stop:
			}
			return
		}
		if s := r.status.Load(); s != 0 {
			http.Error(w, "receiver down", int(s))
			return
		}
		var alerts []amAlert
		if err := json.NewDecoder(req.Body).Decode(&alerts); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		for _, a := range alerts {
			r.got[a.Labels["finding"]]++
		}
		r.mu.Unlock()
	}))
	t.Cleanup(func() { close(stop); r.srv.Close() })
	return r
}

// received returns how many alerts each finding got.
func (r *receiver) received() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.got))
	for k, v := range r.got {
		out[k] = v
	}
	return out
}

// hasAll checks that every name was received at least once.
func (r *receiver) hasAll(names []string) func() error {
	return func() error {
		got := r.received()
		missing := 0
		for _, n := range names {
			if got[n] == 0 {
				missing++
			}
		}
		if missing > 0 {
			return fmt.Errorf("%d of %d findings not received", missing, len(names))
		}
		return nil
	}
}

func findingNames(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + "-" + strconv.Itoa(i)
	}
	return out
}
