package config

import (
	"strings"
	"testing"
	"time"
)

func TestLeaderElectionNamespaceFallsBack(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{nil, "default"},
		{map[string]string{"EVENT_NAMESPACE": "events"}, "events"},
		{map[string]string{"POD_NAMESPACE": "zen-system", "EVENT_NAMESPACE": "events"}, "zen-system"},
		{map[string]string{"POD_NAMESPACE": "zen-system", "LEADER_ELECTION_NAMESPACE": "leases"}, "leases"},
	} {
		c, err := Load(env(tc.env))
		if err != nil {
			t.Fatal(err)
		}
		if c.LeaderElection.Namespace != tc.want {
			t.Errorf("%v: Lease namespace %q, want %q", tc.env, c.LeaderElection.Namespace, tc.want)
		}
	}
}

func TestLeaderElectionValues(t *testing.T) {
	c, err := Load(env(map[string]string{
		"LEADER_ELECTION": "false", "LEADER_ELECTION_ID": "zen.watcher-a", "POD_NAME": "zen-watcher-7d9f-abcde",
		"LEADER_ELECTION_LEASE_DURATION": "30s", "LEADER_ELECTION_RENEW_DEADLINE": "20s", "LEADER_ELECTION_RETRY_PERIOD": "500ms",
		"SHUTDOWN_DELAY": "0",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := LeaderElection{Enabled: false, Namespace: "default", ID: "zen.watcher-a", Identity: "zen-watcher-7d9f-abcde",
		LeaseDuration: 30 * time.Second, RenewDeadline: 20 * time.Second, RetryPeriod: 500 * time.Millisecond}
	if c.LeaderElection != want {
		t.Errorf("got %+v\nwant %+v", c.LeaderElection, want)
	}
	if c.ShutdownDelay != 0 {
		t.Errorf("SHUTDOWN_DELAY=0 should mean no delay, got %s", c.ShutdownDelay)
	}
}

func TestLeaderElectionAndShutdownRejected(t *testing.T) {
	for _, tc := range []struct {
		env          map[string]string
		name, allows string
	}{
		{map[string]string{"LEADER_ELECTION": "maybe"}, "LEADER_ELECTION", "true or false"},
		{map[string]string{"LEADER_ELECTION_ID": "Zen_Watcher"}, "LEADER_ELECTION_ID", "RFC 1123 subdomain"},
		{map[string]string{"LEADER_ELECTION_NAMESPACE": "a.b"}, "LEADER_ELECTION_NAMESPACE", "RFC 1123 label"},
		{map[string]string{"LEADER_ELECTION_LEASE_DURATION": "10s"}, "LEADER_ELECTION_LEASE_DURATION", "more than LEADER_ELECTION_RENEW_DEADLINE (10s)"},
		{map[string]string{"LEADER_ELECTION_RENEW_DEADLINE": "2s"}, "LEADER_ELECTION_RENEW_DEADLINE", "more than 1.2 × LEADER_ELECTION_RETRY_PERIOD (2.4s)"},
		{map[string]string{"LEADER_ELECTION_RETRY_PERIOD": "1ms"}, "LEADER_ELECTION_RETRY_PERIOD", "between 100ms"},
		{map[string]string{"LEADER_ELECTION_LEASE_DURATION": "forever"}, "LEADER_ELECTION_LEASE_DURATION", "Go duration"},
		{map[string]string{"POD_NAME": strings.Repeat("p", 300)}, "POD_NAME", "at most 253 bytes"},
		{map[string]string{"SHUTDOWN_DELAY": "-1s"}, "SHUTDOWN_DELAY", "between 0s"},
		{map[string]string{"SHUTDOWN_DELAY": "30s"}, "SHUTDOWN_DELAY", "less than SHUTDOWN_TIMEOUT (25s)"},
		// 10,000 writes at 200/s take 50s; 80% of 25s−5s is 16s.
		{map[string]string{"WRITE_QUEUE_SIZE": "10000"}, "WRITE_QUEUE_SIZE", "a full queue needs 50s at API_QPS=200"},
		{map[string]string{"API_QPS": "100"}, "WRITE_QUEUE_SIZE", "want at most 1600"},
	} {
		_, err := Load(env(tc.env))
		if err == nil {
			t.Errorf("%v accepted", tc.env)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, tc.name) || !strings.Contains(msg, tc.allows) {
			t.Errorf("%v: message %q should name %s and say %q", tc.env, msg, tc.name, tc.allows)
		}
	}
}

func TestLargeQueueFitsWithMoreTimeOrRate(t *testing.T) {
	for _, vars := range []map[string]string{
		{"WRITE_QUEUE_SIZE": "10000", "API_QPS": "1000", "API_BURST": "1000"},
		{"WRITE_QUEUE_SIZE": "10000", "SHUTDOWN_TIMEOUT": "70s"},
	} {
		if _, err := Load(env(vars)); err != nil {
			t.Errorf("%v: %v", vars, err)
		}
	}
}
