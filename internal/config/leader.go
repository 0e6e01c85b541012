package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/tools/leaderelection"
)

// LeaderElection configures the Lease that elects the one replica running
// the pull sources, retention and tool detection.
type LeaderElection struct {
	// Enabled elects a leader; when false this replica always does the
	// leader's work, which is only safe with one replica.
	Enabled bool
	// Namespace and ID locate the Lease (coordination.k8s.io/v1).
	Namespace string
	ID        string
	// Identity is POD_NAME; empty means the host name plus a random suffix,
	// chosen when the daemon starts.
	Identity string
	// LeaseDuration, RenewDeadline and RetryPeriod mean what they mean to
	// client-go's leaderelection.
	LeaseDuration time.Duration
	RenewDeadline time.Duration
	RetryPeriod   time.Duration
}

// drainShare is the part of the time left after SHUTDOWN_DELAY that a full
// write queue may need at API_QPS; the rest is for the last flush, requests
// still in flight and releasing the Lease.
const drainShare = 0.8

// loadLeaderElection reads the LEADER_ELECTION variables. The Lease lives
// in the pod's own namespace, else with the events.
func loadLeaderElection(r *reader, podNamespace, eventNamespace string) LeaderElection {
	ns := podNamespace
	if ns == "" {
		ns = eventNamespace
	}
	le := LeaderElection{
		Enabled:       r.boolean("LEADER_ELECTION", true),
		Namespace:     r.dnsLabel("LEADER_ELECTION_NAMESPACE", ns),
		ID:            r.dnsSubdomain("LEADER_ELECTION_ID", "zen-watcher"),
		Identity:      r.text("POD_NAME", "", 253),
		LeaseDuration: r.duration("LEADER_ELECTION_LEASE_DURATION", 15*time.Second, time.Second, 10*time.Minute),
		RenewDeadline: r.duration("LEADER_ELECTION_RENEW_DEADLINE", 10*time.Second, time.Second, 10*time.Minute),
		RetryPeriod:   r.duration("LEADER_ELECTION_RETRY_PERIOD", 2*time.Second, 100*time.Millisecond, 10*time.Minute),
	}
	// client-go refuses these at start; say so here, with the numbers.
	if le.LeaseDuration <= le.RenewDeadline {
		r.fail("LEADER_ELECTION_LEASE_DURATION", le.LeaseDuration.String(), "want more than LEADER_ELECTION_RENEW_DEADLINE ("+le.RenewDeadline.String()+")")
	}
	if floor := time.Duration(leaderelection.JitterFactor * float64(le.RetryPeriod)); le.RenewDeadline <= floor {
		r.fail("LEADER_ELECTION_RENEW_DEADLINE", le.RenewDeadline.String(),
			fmt.Sprintf("want more than %g × LEADER_ELECTION_RETRY_PERIOD (%s)", leaderelection.JitterFactor, floor))
	}
	return le
}

// checkShutdown refuses a configuration whose full write queue cannot reach
// the API server within the shutdown budget: SHUTDOWN_DELAY must leave time
// to drain, and WRITE_QUEUE_SIZE writes at API_QPS must fit in drainShare of
// what is left. One queued write is one request in the common case (a
// create, or one status update); conflicts cost more, which the share leaves
// room for.
func checkShutdown(r *reader, c *Config) {
	if c.ShutdownDelay >= c.ShutdownTimeout {
		r.fail("SHUTDOWN_DELAY", c.ShutdownDelay.String(), "want less than SHUTDOWN_TIMEOUT ("+c.ShutdownTimeout.String()+")")
		return
	}
	budget := time.Duration(drainShare * float64(c.ShutdownTimeout-c.ShutdownDelay))
	need := time.Duration(float64(c.WriteQueueSize) / c.APIQPS * float64(time.Second))
	if need > budget {
		r.fail("WRITE_QUEUE_SIZE", strconv.Itoa(c.WriteQueueSize), fmt.Sprintf(
			"a full queue needs %s at API_QPS=%g, more than %.0f%% of SHUTDOWN_TIMEOUT−SHUTDOWN_DELAY (%s): "+
				"want at most %d, or raise API_QPS or SHUTDOWN_TIMEOUT",
			need.Round(time.Second), c.APIQPS, drainShare*100, budget, int(budget.Seconds()*c.APIQPS)))
	}
}

// dnsSubdomain accepts an object name (RFC 1123 subdomain), as a Lease's.
func (r *reader) dnsSubdomain(name, def string) string {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	if errs := validation.IsDNS1123Subdomain(v); len(errs) > 0 {
		r.fail(name, v, "want an object name (RFC 1123 subdomain): "+strings.Join(errs, "; "))
		return def
	}
	return v
}
