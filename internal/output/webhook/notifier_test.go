package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/output"
	"github.com/kube-zen/zen-watcher/internal/output/httpsend"
	intake "github.com/kube-zen/zen-watcher/internal/webhook"
)

var t0 = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

const key = "hub-key-0123456789"

func finding(name string, sev zenv1.Severity) *zenv1.ZenAgentEvent {
	first := metav1.NewTime(t0.Add(-time.Hour))
	return &zenv1.ZenAgentEvent{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "prod", UID: types.UID("uid-" + name),
			ResourceVersion: "42", ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "zen-watcher"}},
			Annotations: map[string]string{zenv1.AnnotationSender: "token:abc"}, Labels: map[string]string{"source": "trivy"}},
		Spec: zenv1.ZenAgentEventSpec{Source: "trivy", Category: zenv1.CategorySecurity, Severity: sev,
			EventType: "vulnerability", Rule: "CVE-2021-3121", Title: "gogo/protobuf: plugin/unmarshal does not check for negative index",
			DetectedAt: first, DedupKey: "prod/Deployment/api/app/CVE-2021-3121",
			Resource: &zenv1.ResourceRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "api", Namespace: "prod"}},
		Status: zenv1.ZenAgentEventStatus{Count: 3, FirstSeen: &first, LastSeen: &first, State: zenv1.StateOpen},
	}
}

// receiver is a CloudEvents endpoint that checks what zen-watcher's intake
// checks and records what it decoded.
type receiver struct {
	t      *testing.T
	hmac   *intake.HMAC
	token  string
	answer func(n int) (int, http.Header, string)

	mu       sync.Mutex
	requests int
	events   []cloudevents.Event
	ids      []string
	headers  []http.Header
}

func newReceiver(t *testing.T) (*receiver, *httptest.Server) {
	r := &receiver{t: t, hmac: intake.NewHMAC([]string{key}, 5*time.Minute, func() time.Time { return t0 }), token: "tok"}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, srv
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.requests++
	if _, err := rc.hmac.Body(r, body); err != nil {
		rc.t.Errorf("signature refused: %v", err)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+rc.token {
		rc.t.Errorf("Authorization %q", got)
	}
	rc.headers = append(rc.headers, r.Header.Clone())
	rc.ids = append(rc.ids, r.Header.Get(intake.HeaderRequestID))
	if rc.answer != nil {
		code, h, b := rc.answer(rc.requests)
		for k, v := range h {
			w.Header()[k] = v
		}
		w.WriteHeader(code)
		io.WriteString(w, b)
		if code >= 300 {
			return
		}
	}
	switch ct := r.Header.Get("Content-Type"); ct {
	case MediaTypeEvent:
		var e cloudevents.Event
		if err := json.Unmarshal(body, &e); err != nil {
			rc.t.Errorf("not a structured CloudEvent: %v\n%s", err, body)
		}
		rc.events = append(rc.events, e)
	case MediaTypeBatch:
		var es []cloudevents.Event
		if err := json.Unmarshal(body, &es); err != nil {
			rc.t.Errorf("not a CloudEvents batch: %v", err)
		}
		rc.events = append(rc.events, es...)
	default:
		rc.t.Errorf("Content-Type %q", ct)
	}
}

func newNotifier(t testing.TB, url string, mod func(*Config)) *Notifier {
	t.Helper()
	cfg := Config{URL: url, HMACKey: []byte(key), Token: "tok", Cluster: "cluster-a",
		Headers: map[string]string{"X-Tenant": "blue"}, Client: &http.Client{Timeout: 5 * time.Second},
		Now: func() time.Time { return t0 }}
	if mod != nil {
		mod(&cfg)
	}
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNotifySendsSignedCloudEvents(t *testing.T) {
	rc, srv := newReceiver(t)
	n := newNotifier(t, srv.URL+"/api/v1/sources/hub/cluster-a", nil)
	ev := finding("trivy-1", zenv1.SeverityHigh)
	resolved := finding("trivy-2", zenv1.SeverityLow)
	at := metav1.NewTime(t0)
	resolved.Status.State, resolved.Status.ResolvedAt = zenv1.StateResolved, &at
	batch := []output.Delivery{
		{Event: ev, Trigger: output.TriggerCreated},
		{Event: ev, Trigger: output.TriggerEscalated},
		{Event: resolved, Trigger: output.TriggerResolved},
	}
	if retry, err := n.Notify(context.Background(), batch); err != nil {
		t.Fatalf("notify: %v %v", retry, err)
	}
	if len(rc.events) != 3 || rc.requests != 3 {
		t.Fatalf("want 3 events in 3 requests, got %d in %d", len(rc.events), rc.requests)
	}
	for i, want := range []string{TypeCreated, TypeEscalated, TypeResolved} {
		e := rc.events[i]
		if e.Type() != want || e.Source() != "cluster-a" || e.SpecVersion() != "1.0" || e.DataContentType() != "application/json" {
			t.Errorf("event %d: %s", i, e)
		}
		if rc.headers[i].Get("X-Tenant") != "blue" {
			t.Errorf("extra header missing")
		}
	}
	if got := rc.events[0].Time(); !got.Equal(t0.Add(-time.Hour)) {
		t.Errorf("created time %v, want firstSeen", got)
	}
	if got := rc.events[2].Time(); !got.Equal(t0) {
		t.Errorf("resolved time %v, want resolvedAt", got)
	}
	if rc.events[0].Subject() != "prod/trivy-1" {
		t.Errorf("subject %q", rc.events[0].Subject())
	}
	var data zenv1.ZenAgentEvent
	if err := rc.events[0].DataAs(&data); err != nil {
		t.Fatal(err)
	}
	if data.Kind != "ZenAgentEvent" || data.APIVersion != "zen.kube-zen.io/v1" || data.Spec.DedupKey != ev.Spec.DedupKey ||
		data.Status.Count != 3 || data.UID != ev.UID || data.Labels["source"] != "trivy" {
		t.Errorf("data: %+v", data)
	}
	if data.ResourceVersion != "" || data.ManagedFields != nil || data.Annotations != nil {
		t.Errorf("server bookkeeping leaked into data: %+v", data.ObjectMeta)
	}

	// The same occurrences again: same ids, same bodies, same request ids.
	first := append([]string(nil), rc.ids...)
	ids := []string{rc.events[0].ID(), rc.events[1].ID(), rc.events[2].ID()}
	if _, err := n.Notify(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if rc.events[3+i].ID() != ids[i] || rc.ids[3+i] != first[i] {
			t.Errorf("redelivery %d changed: id %s→%s, request id %s→%s", i, ids[i], rc.events[3+i].ID(), first[i], rc.ids[3+i])
		}
	}
	if ids[0] == ids[1] || ids[1] == ids[2] {
		t.Errorf("triggers share ids: %v", ids)
	}
}

func TestIDsNameTheOccurrence(t *testing.T) {
	ev := finding("f", zenv1.SeverityMedium)
	created := ID(ev, output.TriggerCreated)
	esc := ID(ev, output.TriggerEscalated)
	ev.Status.Count = 9
	if ID(ev, output.TriggerEscalated) != esc {
		t.Error("a count within its decade changed the escalation id")
	}
	ev.Status.Count = 10
	if ID(ev, output.TriggerEscalated) == esc {
		t.Error("crossing 10 kept the escalation id")
	}
	ten := ID(ev, output.TriggerEscalated)
	ev.Spec.Severity = zenv1.SeverityCritical
	if ID(ev, output.TriggerEscalated) == ten {
		t.Error("a severity rise kept the escalation id")
	}
	if ID(ev, output.TriggerCreated) != created {
		t.Error("the created id depends on the status")
	}
	other := finding("g", zenv1.SeverityMedium)
	if ID(other, output.TriggerCreated) == created {
		t.Error("two findings share an id")
	}
	other.UID = ""
	if ID(other, output.TriggerCreated) == ID(finding("h", zenv1.SeverityLow), output.TriggerCreated) {
		t.Error("without a UID, the name must tell findings apart")
	}
	if _, err := Event("c", output.Delivery{Event: ev, Trigger: "Deleted"}); err == nil {
		t.Error("an unknown trigger was accepted")
	}
	if _, err := Event("c", output.Delivery{Trigger: output.TriggerCreated}); err == nil {
		t.Error("a delivery without a finding was accepted")
	}
}

func TestBatchModeCutsAtMaxBodyBytes(t *testing.T) {
	rc, srv := newReceiver(t)
	one, _ := json.Marshal(mustEvent(t, finding("x-0", zenv1.SeverityHigh)))
	// Room for three events per request, not four.
	n := newNotifier(t, srv.URL, func(c *Config) { c.Batch = true; c.MaxBodyBytes = 3*(len(one)+1) + 2 + 10 })
	var batch []output.Delivery
	for i := range 10 {
		batch = append(batch, output.Delivery{Event: finding("x-"+string(rune('0'+i)), zenv1.SeverityHigh), Trigger: output.TriggerCreated})
	}
	if _, err := n.Notify(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	if rc.requests != 4 || len(rc.events) != 10 {
		t.Fatalf("want 10 events in 4 requests, got %d in %d", len(rc.events), rc.requests)
	}
	for i, e := range rc.events {
		if e.Subject() != "prod/x-"+string(rune('0'+i)) {
			t.Fatalf("order lost: %d is %s", i, e.Subject())
		}
	}
	// An event larger than the bound goes alone rather than never.
	n = newNotifier(t, srv.URL, func(c *Config) { c.Batch = true; c.MaxBodyBytes = 10 })
	if _, err := n.Notify(context.Background(), batch[:2]); err != nil || rc.requests != 6 {
		t.Fatalf("oversized events: %v, %d requests", err, rc.requests)
	}
}

func mustEvent(t *testing.T, ev *zenv1.ZenAgentEvent) cloudevents.Event {
	e, err := Event("cluster-a", output.Delivery{Event: ev, Trigger: output.TriggerCreated})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestNotifyClassifiesAnswers(t *testing.T) {
	problem := http.Header{"Content-Type": {"application/problem+json"}}
	for _, tc := range []struct {
		name      string
		code      int
		h         http.Header
		body      string
		wantRetry bool
		wantAfter time.Duration
		wantIn    string
	}{
		{"500", 500, nil, "", true, 0, "500"},
		{"429 with Retry-After", 429, http.Header{"Retry-After": {"12"}}, "", true, 12 * time.Second, "429"},
		{"400 problem", 400, problem, `{"type":"urn:zen-watcher:problem:invalid-payload","title":"Invalid payload","detail":"mapping: no severity","reason":"invalid-payload"}`,
			false, 0, "Invalid payload: mapping: no severity"},
		{"401", 401, problem, `{"title":"Unauthenticated","detail":"the signature does not match"}`, false, 0, "signature does not match"},
		{"409 conflict", 409, problem, `{"type":"urn:zen-watcher:problem:request-id-conflict","title":"Request id reused"}`, false, 0, "reused"},
		{"409 in progress", 409, problem, `{"type":"urn:zen-watcher:problem:request-id-in-progress","title":"Request in progress"}`, true, 0, "in progress"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc, srv := newReceiver(t)
			rc.answer = func(int) (int, http.Header, string) { return tc.code, tc.h, tc.body }
			n := newNotifier(t, srv.URL, nil)
			retry, err := n.Notify(context.Background(), []output.Delivery{{Event: finding("a", zenv1.SeverityHigh), Trigger: output.TriggerCreated}})
			if retry != tc.wantRetry || err == nil || !strings.Contains(err.Error(), tc.wantIn) {
				t.Fatalf("got %v %v", retry, err)
			}
			if d, _ := output.RetryAfter(err); d != tc.wantAfter {
				t.Fatalf("retry after %v, want %v", d, tc.wantAfter)
			}
			var se *httpsend.StatusError
			if !errors.As(err, &se) || se.Code != tc.code {
				t.Fatalf("status lost: %#v", err)
			}
		})
	}
}

// TestNotifyStopsAtTheFirstFailure: the rest of the batch is not sent past
// a failure, so the engine's retry repeats as little as it can.
func TestNotifyStopsAtTheFirstFailure(t *testing.T) {
	rc, srv := newReceiver(t)
	rc.answer = func(n int) (int, http.Header, string) {
		if n == 2 {
			return 503, nil, "busy"
		}
		return 202, nil, ""
	}
	n := newNotifier(t, srv.URL, nil)
	var batch []output.Delivery
	for _, name := range []string{"a", "b", "c"} {
		batch = append(batch, output.Delivery{Event: finding(name, zenv1.SeverityHigh), Trigger: output.TriggerCreated})
	}
	if retry, err := n.Notify(context.Background(), batch); !retry || err == nil {
		t.Fatalf("got %v %v", retry, err)
	}
	if rc.requests != 2 {
		t.Fatalf("sent %d requests past a failure", rc.requests)
	}
}

// TestCredentialsAreReadAtEverySend: a rotated key applies to the next
// batch; a Secret that cannot be read is retried, nothing sent.
func TestCredentialsAreReadAtEverySend(t *testing.T) {
	rc, srv := newReceiver(t)
	var calls int
	var fail error
	n := newNotifier(t, srv.URL, func(c *Config) {
		c.HMACKey, c.Token = nil, ""
		c.Credentials = func(context.Context) ([]byte, string, error) {
			calls++
			return []byte(key), "tok", fail
		}
	})
	batch := []output.Delivery{{Event: finding("a", zenv1.SeverityHigh), Trigger: output.TriggerCreated}}
	if _, err := n.Notify(context.Background(), batch); err != nil || calls != 1 || rc.requests != 1 {
		t.Fatalf("got %v, %d reads, %d requests", err, calls, rc.requests)
	}
	fail = errors.New(`secret "hub-key" not found`)
	if retry, err := n.Notify(context.Background(), batch); !retry || !errors.Is(err, fail) || rc.requests != 1 {
		t.Fatalf("unreadable Secret: %v %v, %d requests", retry, err, rc.requests)
	}
}
