package webhook

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestRefusalLogsAreRateLimited sends 20,000 refused requests over ten
// seconds of the log's clock, for two reasons: at most 100 lines are
// written, each line says how many of its reason were suppressed before
// it, and the metrics count every refusal.
func TestRefusalLogsAreRateLimited(t *testing.T) {
	ti := newTestIntake(t, NewTokens([]string{testToken}), 10, &recorder{})
	clock := time.Unix(1_800_000_000, 0)
	ti.handlers[0].refusals.now = func() time.Time { return clock }
	const n = 20_000
	for i := range n {
		clock = clock.Add(10 * time.Second / n)
		req := post("a", "Authorization", "Bearer wrong")
		if i%2 == 1 {
			req = post("a", "Authorization", "")
		}
		if rec := ti.do(req); rec.Code != 401 {
			t.Fatalf("%d: %d", i, rec.Code)
		}
	}
	lines, logged := 0, map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(ti.logs.Bytes()))
	for sc.Scan() {
		var line struct {
			Msg        string
			Reason     string
			Suppressed int
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		if line.Msg == "webhook request refused" {
			lines++
			logged[line.Reason] += 1 + line.Suppressed
		}
	}
	if lines > 100 {
		t.Errorf("%d log lines for %d refusals, want at most 100", lines, n)
	}
	// Each reason's last refusals, those after its last line, are still
	// pending in its count: at most half a second's worth, 500.
	for _, reason := range []string{AuthInvalidToken, AuthMissingToken} {
		if got := logged[reason]; got < n/2-n/2/10/refusalLogRate || got > n/2 {
			t.Errorf("%s: %d refusals accounted for by lines and suppressed counts, want about %d", reason, got, n/2)
		}
	}
	for _, reason := range []string{AuthInvalidToken, AuthMissingToken} {
		if got := testutil.ToFloat64(ti.metrics.authFailures.WithLabelValues("test", reason)); got != n/2 {
			t.Errorf("metric %s %v, want every refusal counted: %d", reason, got, n/2)
		}
	}
}
