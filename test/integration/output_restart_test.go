package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kube-zen/zen-watcher/api/v1alpha1"
)

// TestOutputAtLeastOnceAcrossKill kills the daemon (SIGKILL) while it
// retries a batch its receiver refuses, stores more findings while no
// daemon runs, starts a new process, and brings the receiver back: every
// finding arrives, resumed from the watermark in the ZenOutput's status,
// and duplicates stay within what was in flight at the kill.
func TestOutputAtLeastOnceAcrossKill(t *testing.T) {
	own := newNamespace(t)
	rcv := newReceiver(t)
	rcv.status.Store(503)
	env := []string{"POD_NAMESPACE=" + own, "WATCH_NAMESPACE=" + own, "LEADER_ELECTION=false", "METRICS_AUTH=none",
		"ALERTMANAGER_RESEND_INTERVAL=4m"} // no re-sends during the test: every alert counted is a delivery
	first := startProcess(t, env...)
	createOutput(t, own, "am", v1alpha1.ZenOutputSpec{Alertmanager: &v1alpha1.AlertmanagerOutput{URL: rcv.srv.URL}})
	outputReady(t, own, "am", "True")

	before := findingNames("before", 30)
	for _, n := range before {
		storeFinding(t, own, n, "HIGH")
	}
	eventually(t, "the first process retries against the refusing receiver, progress written", func() error {
		st := outputStatus(t, own, "am")
		if rcv.calls.Load() < 2 || !strings.Contains(st.LastError, "503") || st.Progress == nil {
			return fmt.Errorf("calls %d, status %+v", rcv.calls.Load(), st)
		}
		return nil
	})
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_, _ = first.cmd.Process.Wait()

	during := findingNames("during", 10)
	for _, n := range during {
		storeFinding(t, own, n, "CRITICAL")
	}
	calls := rcv.calls.Load()
	startProcess(t, env...)
	eventually(t, "the new process resumes and retries", func() error {
		if rcv.calls.Load() <= calls {
			return fmt.Errorf("no new attempt (calls %d)", calls)
		}
		return nil
	})
	rcv.status.Store(0)
	all := append(before, during...)
	eventually(t, "every finding delivered once the receiver is back", rcv.hasAll(all))
	time.Sleep(3 * time.Second) // anything sent twice arrives by now
	dups := 0
	for _, n := range rcv.received() {
		dups += n - 1
	}
	t.Logf("%d findings delivered across a SIGKILL, %d duplicates", len(all), dups)
	if inFlight := len(before); dups > inFlight {
		t.Fatalf("%d duplicates, more than the %d findings in flight at the kill", dups, inFlight)
	}
}
