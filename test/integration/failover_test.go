package integration

import (
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// replicaEnv configures a process as a replica reading the pull sources of
// ns, electing with the Lease named lease, and otherwise at the defaults
// (lease 15s, renew 10s, retry 2s, SHUTDOWN_DELAY 5s, SHUTDOWN_TIMEOUT 25s).
func replicaEnv(ns, lease string) []string {
	return []string{
		"WEBHOOK_TOKEN=" + webhookToken, "WATCH_NAMESPACE=" + ns, "LEADER_ELECTION_ID=" + lease,
		"WATCH_INTERVAL=2s", "FLUSH_INTERVAL=200ms", "METRICS_AUTH=none",
		"EVENT_TTL=87600h", // the reports' results are dated in the past
	}
}

// waitForPolicyEvent waits for the event of policy's finding in ns and
// returns when it was first seen. The deadline bounds the wait only.
func waitForPolicyEvent(t *testing.T, ns, policy string) time.Time {
	t.Helper()
	eventually(t, "the event of "+policy, func() error {
		if _, ok := eventForPolicy(ns, policy, kyvernoEventsIn(t, ns)); !ok {
			return fmt.Errorf("not stored yet")
		}
		return nil
	})
	return time.Now()
}

// TestFailover kills the leader, then stops the next one gracefully, and
// measures how long until a new report's finding is stored by the replica
// that takes over. It checks the graceful stop: /ready fails at once, the
// webhooks keep serving for SHUTDOWN_DELAY, what they accepted is stored,
// the Lease is released and the process exits within SHUTDOWN_TIMEOUT.
func TestFailover(t *testing.T) {
	installReportCRDs(t)
	ns, lease := newNamespace(t), leaseName(t)
	forgetKyverno(t, ns)
	a := startReplica(t, "replica-a", replicaEnv(ns, lease)...)
	a.waitReady(t)
	eventually(t, "replica-a leads", func() error {
		if !a.leading() {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	b := startReplica(t, "replica-b", replicaEnv(ns, lease)...)
	b.waitReady(t)
	applyReport(t, policyReport(ns, "before", "before-"+ns))
	waitForPolicyEvent(t, ns, "before-"+ns)
	if b.leading() {
		t.Fatal("two leaders")
	}

	killed := a.signal(t, syscall.SIGKILL)
	applyReport(t, policyReport(ns, "after-kill", "kill-"+ns))
	seen := waitForPolicyEvent(t, ns, "kill-"+ns)
	t.Logf("failover after SIGKILL of the leader: %s (lease duration 15s)", seen.Sub(killed).Round(100*time.Millisecond))
	if !b.leading() {
		t.Error("replica-b stored the finding but does not say it leads")
	}

	c := startReplica(t, "replica-c", replicaEnv(ns, lease)...)
	c.waitReady(t)
	alertBody := alert("Failover "+uniqueName(t), "term-pod-"+ns)
	termed := b.signal(t, syscall.SIGTERM)
	var flipped time.Duration
	eventually(t, "replica-b unready after SIGTERM", func() error {
		if code, body := b.get("/ready"); code != http.StatusServiceUnavailable {
			return fmt.Errorf("%d %s", code, body)
		}
		flipped = time.Since(termed)
		return nil
	})
	t.Logf("readiness 503 after SIGTERM: %s", flipped.Round(time.Millisecond))
	// Within SHUTDOWN_DELAY the webhooks still take alerts, and they are
	// stored before the process exits.
	if code, body := b.post(t, "/falco/webhook", webhookToken, alertBody); code != http.StatusAccepted {
		t.Errorf("webhook during SHUTDOWN_DELAY: %d %s", code, body)
	}
	applyReport(t, policyReport(ns, "after-term", "term-"+ns))
	seen = waitForPolicyEvent(t, ns, "term-"+ns)
	t.Logf("failover after SIGTERM of the leader: %s (SHUTDOWN_DELAY 5s)", seen.Sub(termed).Round(100*time.Millisecond))
	select {
	case <-b.exited:
	case <-time.After(40 * time.Second):
		t.Fatal("replica-b did not exit after SIGTERM")
	}
	t.Logf("replica-b exited %s after SIGTERM (SHUTDOWN_TIMEOUT 25s): %v", b.at.Sub(termed).Round(100*time.Millisecond), b.err)
	if b.err != nil {
		t.Errorf("graceful exit: %v", b.err)
	}
	// A clean stop releases the Lease without logging an error: a rollout
	// must not trip alerts on ERROR logs. (The INFO record of the release
	// comes from the manager's error-draining goroutine and may be cut off
	// by the exit, so only the absence of errors is asserted.)
	if logs := b.logs.String(); strings.Contains(logs, `"level":"ERROR"`) {
		t.Errorf("a clean stop logged an error:\n%s", logs)
	}
	if took := b.at.Sub(termed); took > 25*time.Second {
		t.Errorf("exit took %s, more than SHUTDOWN_TIMEOUT", took)
	}
	if !c.leading() {
		t.Error("replica-c should lead after replica-b released the Lease")
	}
	eventually(t, "the alert accepted during the delay", func() error {
		for _, e := range eventsOf(t, "falco") {
			if e.Spec.Resource != nil && e.Spec.Resource.Name == "term-pod-"+ns {
				return nil
			}
		}
		return fmt.Errorf("not stored")
	})
}
