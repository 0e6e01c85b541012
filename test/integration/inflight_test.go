package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// inflightSlackMiB is the documented constant the daemon's peak RSS may
// exceed MAX_INFLIGHT_BYTES by, under any number of concurrent bodies: the
// daemon's own baseline (about 40–50 MiB: runtime, caches, clients), the
// parser's working memory for the bodies being decoded, and the garbage the
// Go collector lets accumulate before it runs (GOGC=100).
const inflightSlackMiB = 128

// TestInflightBytesBoundMemory runs the daemon binary and has 64 clients
// each send a 16 MiB audit EventList at once. The bodies that fit
// MAX_INFLIGHT_BYTES (64 MiB, the default) are taken, the others get 503
// with Retry-After (or see the connection closed under their upload), and
// the process's peak resident memory (VmHWM) stays under
// MAX_INFLIGHT_BYTES plus inflightSlackMiB.
func TestInflightBytesBoundMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 1 GiB over loopback")
	}
	p := startProcess(t, "WEBHOOK_TOKEN="+webhookToken, "RATE_LIMIT_RPS=0")
	body := bigAuditList(t, 16<<20)
	baseline := p.memoryKiB(t, "VmRSS")

	const clients = 64
	var accepted, refused, cut atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	start := make(chan struct{})
	for range clients {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, p.url+"/audit/webhook", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+webhookToken)
			<-start
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				cut.Add(1) // refused and closed while the body was still going out
				return
			}
			out, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case resp.StatusCode == http.StatusAccepted:
				accepted.Add(1)
			case resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "" &&
				strings.Contains(string(out), "inflight-bytes-exhausted"):
				refused.Add(1)
			default:
				errs <- fmt.Errorf("%d %s", resp.StatusCode, out)
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	peak := p.memoryKiB(t, "VmHWM")
	t.Logf("64 concurrent %.1f MiB audit bodies: %d accepted, %d refused with 503, %d cut off mid-upload; RSS before %d MiB, peak (VmHWM) %d MiB",
		float64(len(body))/(1<<20), accepted.Load(), refused.Load(), cut.Load(), baseline>>10, peak>>10)
	if accepted.Load() == 0 || refused.Load() == 0 {
		t.Error("want some bodies taken and some refused for want of room")
	}
	if limit := int64(64 + inflightSlackMiB); peak>>10 >= limit {
		t.Errorf("peak RSS %d MiB, want under MAX_INFLIGHT_BYTES (64 MiB) + %d MiB", peak>>10, inflightSlackMiB)
	}
}

// bigAuditList is an audit EventList of about size bytes: reads of pods
// by an ordinary user, which no rule makes a finding, each carrying a
// large response as the API server's RequestResponse level does.
func bigAuditList(t *testing.T, size int) []byte {
	t.Helper()
	pad := strings.Repeat("x", 40<<10)
	var items []json.RawMessage
	total := 100
	for i := 0; ; i++ {
		ev, err := json.Marshal(map[string]any{
			"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse",
			"auditID": fmt.Sprintf("00000000-0000-4000-8000-%012d", i), "stage": "ResponseComplete",
			"requestURI": "/api/v1/namespaces/default/pods/web", "verb": "get",
			"user":      map[string]any{"username": "alice", "groups": []string{"system:authenticated"}},
			"sourceIPs": []string{"10.0.0.1"}, "objectRef": map[string]any{"resource": "pods", "namespace": "default", "name": "web", "apiVersion": "v1"},
			"responseStatus":           map[string]any{"metadata": map[string]any{}, "code": 200},
			"responseObject":           map[string]any{"kind": "Pod", "apiVersion": "v1", "metadata": map[string]any{"name": "web", "annotations": map[string]string{"pad": pad}}},
			"requestReceivedTimestamp": "2026-01-01T00:00:00.000000Z", "stageTimestamp": "2026-01-01T00:00:00.001000Z",
		})
		if err != nil {
			t.Fatal(err)
		}
		if total+len(ev)+1 > size {
			break
		}
		total += len(ev) + 1
		items = append(items, ev)
	}
	out, err := json.Marshal(map[string]any{"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": map[string]any{}, "items": items})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) > size {
		t.Fatalf("body %d bytes, over %d", len(out), size)
	}
	return out
}
