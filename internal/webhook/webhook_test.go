package webhook

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/store"
)

// lineParser makes one finding per non-empty line; a line "bad" is an
// unreadable item, "skip" a dropped one, and a body "broken" a whole-body
// error. It stands in for the real parsers, which have their own tests.
type lineParser struct{}

func (lineParser) Parse(body []byte, now time.Time) (source.Batch, error) {
	if string(body) == "broken" {
		return source.Batch{}, source.Errorf(source.ReasonInvalidJSON, "parsing test JSON: broken")
	}
	var b source.Batch
	for i, line := range strings.Split(string(body), "\n") {
		switch line {
		case "":
			continue
		case "bad":
			b.Rejected = append(b.Rejected, source.ItemError{Index: i, Pointer: "/rule", Reason: source.ReasonMissingField, Detail: "rule is missing"})
		case "skip":
			b.Drop("below-min-priority")
		default:
			b.Findings = append(b.Findings, finding.Finding{Source: "test", DedupKey: line, DetectedAt: now})
		}
		b.Items++
	}
	return b, nil
}

// recorder is a Pipeline that keeps what it is given, and can be held to
// stand for a pipeline pushing back. Its filter keeps out findings whose
// key is "filtered".
type recorder struct {
	mu   sync.Mutex
	got  []finding.Finding
	hold chan struct{}
}

func (r *recorder) Prepare(_ context.Context, fs []finding.Finding) []finding.Finding {
	var kept []finding.Finding
	for _, f := range fs {
		if f.DedupKey != "filtered" {
			kept = append(kept, f)
		}
	}
	return kept
}

// TryRecord takes the direct path unless the recorder is held.
func (r *recorder) TryRecord(fs []finding.Finding) error {
	if r.hold != nil {
		return errors.New("busy")
	}
	return r.Record(context.Background(), fs)
}

func (r *recorder) Record(ctx context.Context, fs []finding.Finding) error {
	if r.hold != nil {
		select {
		case <-r.hold:
		case <-ctx.Done():
			return store.ErrClosed // as the aggregator answers once closed
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, fs...)
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

const testToken = "t0ken-for-tests"

type testIntake struct {
	*Intake
	reg  *prometheus.Registry
	mux  *http.ServeMux
	sink *recorder
	logs *bytes.Buffer
}

func newTestIntake(t *testing.T, auth Authenticator, bufferSize int, sink *recorder) *testIntake {
	t.Helper()
	return newTestIntakeWith(t, bufferSize, sink, func(o *Options) { o.Auth = auth })
}

func newTestIntakeWith(t *testing.T, bufferSize int, sink *recorder, tune func(*Options)) *testIntake {
	t.Helper()
	reg := prometheus.NewRegistry()
	logs := &bytes.Buffer{}
	opts := Options{IdempotencyTTL: time.Hour}
	tune(&opts)
	in := New([]Endpoint{{Name: "test", Path: "/test/webhook", MediaTypes: []string{"application/json", "application/x-ndjson"},
		MaxBodyBytes: 1024, BufferSize: bufferSize, Parser: lineParser{}}}, opts, sink, reg, slog.New(slog.NewJSONHandler(logs, nil)))
	mux := http.NewServeMux()
	in.Register(mux)
	return &testIntake{Intake: in, reg: reg, mux: mux, sink: sink, logs: logs}
}

func (ti *testIntake) do(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	ti.mux.ServeHTTP(rec, req)
	return rec
}

func post(body string, header ...string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/test/webhook", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+testToken)
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

func gzipped(s string) string {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write([]byte(s))
	_ = zw.Close()
	return b.String()
}

func decodeProblem(t *testing.T, rec *httptest.ResponseRecorder) Problem {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json; body %s", ct, rec.Body)
	}
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem body is not JSON: %v: %s", err, rec.Body)
	}
	if p.Status != rec.Code || !strings.HasPrefix(p.Type, problemTypePrefix) || p.Title == "" || p.Detail == "" {
		t.Errorf("incomplete problem %+v for status %d", p, rec.Code)
	}
	return p
}

func TestRefusals(t *testing.T) {
	bomb := gzipped(strings.Repeat("a", 1<<20)) // 1 MiB of one letter: about 1 KiB compressed
	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
		reason string
		header [2]string
	}{
		{"GET", httptest.NewRequest(http.MethodGet, "/test/webhook", nil), 405, reasonMethod, [2]string{"Allow", "POST"}},
		{"PUT", httptest.NewRequest(http.MethodPut, "/test/webhook", nil), 405, reasonMethod, [2]string{"Allow", "POST"}},
		{"form content type", post("a", "Content-Type", "application/x-www-form-urlencoded"), 415, reasonMediaType, [2]string{}},
		{"unparsable content type", post("a", "Content-Type", "json;;;"), 415, reasonMediaType, [2]string{}},
		{"brotli", post("a", "Content-Encoding", "br"), 415, reasonEncoding, [2]string{"Accept-Encoding", "gzip"}},
		{"declared too large", post(strings.Repeat("a", 1025)), 413, reasonTooLarge, [2]string{}},
		{"chunked too large", chunked(post(strings.Repeat("a", 5000))), 413, reasonTooLarge, [2]string{}},
		{"gzip bomb", post(bomb, "Content-Encoding", "gzip"), 413, reasonTooLarge, [2]string{}},
		{"corrupt gzip", post("not gzip at all", "Content-Encoding", "gzip"), 400, reasonBadEncoding, [2]string{}},
		{"truncated gzip", post(gzipped("a\nb\n")[:15], "Content-Encoding", "gzip"), 400, reasonBadEncoding, [2]string{}},
		{"no token", post("a", "Authorization", ""), 401, AuthMissingToken, [2]string{"WWW-Authenticate", `Bearer realm="zen-watcher"`}},
		{"wrong token", post("a", "Authorization", "Bearer nope"), 401, AuthInvalidToken, [2]string{}},
		{"basic auth", post("a", "Authorization", "Basic "+testToken), 401, AuthMalformed, [2]string{}},
		{"empty bearer", post("a", "Authorization", "Bearer "), 401, AuthMalformed, [2]string{}},
		{"broken body", post("broken"), 400, reasonInvalidPayload, [2]string{}},
		{"every item bad", post("bad\nbad"), 400, reasonInvalidPayload, [2]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ti := newTestIntake(t, NewTokens([]string{testToken}), 10, &recorder{})
			rec := ti.do(tc.req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if p := decodeProblem(t, rec); p.Reason != tc.reason {
				t.Errorf("reason %q, want %q", p.Reason, tc.reason)
			}
			if tc.header[0] != "" && rec.Header().Get(tc.header[0]) != tc.header[1] {
				t.Errorf("%s: %q, want %q", tc.header[0], rec.Header().Get(tc.header[0]), tc.header[1])
			}
			if got := testutil.ToFloat64(ti.metrics.requests.WithLabelValues("test", strconv.Itoa(tc.status))); got != 1 {
				t.Errorf("requests_total{code=%d} = %v", tc.status, got)
			}
			if strings.Contains(rec.Body.String(), testToken) || strings.Contains(ti.logs.String(), testToken) {
				t.Error("the token leaked into the answer or the log")
			}
			if n := strings.Count(ti.logs.String(), "webhook request refused"); n != 1 {
				t.Errorf("want one log line per refusal, got %d: %s", n, ti.logs)
			}
		})
	}
}

// chunked hides a body's length, as a streaming sender does.
func chunked(r *http.Request) *http.Request {
	r.ContentLength = -1
	r.Body = io.NopCloser(r.Body)
	return r
}

func TestAcceptsAndDrains(t *testing.T) {
	sink := &recorder{}
	ti := newTestIntake(t, NewTokens([]string{"old", testToken}), 10, sink)
	done := make(chan struct{})
	go func() { ti.Run(context.Background()); close(done) }()

	for _, req := range []*http.Request{
		post("a\nskip\nbad\nb"),
		post(gzipped("c\n"), "Content-Encoding", "gzip", "Content-Type", "application/x-ndjson; charset=utf-8"),
		post("d", "Content-Type", ""), // read as JSON
	} {
		rec := ti.do(req)
		if rec.Code != http.StatusAccepted {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	rec := ti.do(post("e\nskip\nbad\nfiltered"))
	var rc Receipt
	if err := json.Unmarshal(rec.Body.Bytes(), &rc); err != nil {
		t.Fatal(err)
	}
	if rc.Items != 4 || rc.Accepted != 1 || rc.Dropped["below-min-priority"] != 1 || len(rc.Errors) != 1 || rc.Errors[0].Index != 2 {
		t.Errorf("receipt %+v", rc)
	}
	ti.Close()
	<-done
	if n := sink.count(); n != 5 {
		t.Errorf("pipeline got %d findings, want 5", n)
	}
	if got := testutil.ToFloat64(ti.metrics.dropped.WithLabelValues("test", source.ReasonMissingField)); got != 2 {
		t.Errorf("dropped{missing-field} = %v, want 2", got)
	}
	if rec := ti.do(post("f")); rec.Code != http.StatusServiceUnavailable || decodeProblem(t, rec).Reason != reasonShuttingDown {
		t.Errorf("after Close: status %d, want 503 shutting-down", rec.Code)
	}
}

func TestFullBufferAnswers503WithoutBlocking(t *testing.T) {
	sink := &recorder{hold: make(chan struct{})}
	ti := newTestIntake(t, Open{}, 3, sink)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ti.Run(ctx); close(done) }()

	accepted, refused := 0, 0
	for i := range 10 {
		rec := ti.do(post(strings.Repeat("x\n", i%2+1)))
		switch rec.Code {
		case http.StatusAccepted:
			accepted++
		case http.StatusServiceUnavailable:
			refused++
			if rec.Header().Get("Retry-After") == "" || decodeProblem(t, rec).Reason != reasonBufferFull {
				t.Fatalf("503 without Retry-After or reason: %v %s", rec.Header(), rec.Body)
			}
		default:
			t.Fatalf("status %d", rec.Code)
		}
	}
	if refused == 0 || accepted == 0 {
		t.Fatalf("accepted %d, refused %d: want both with a held pipeline", accepted, refused)
	}
	if got := testutil.ToFloat64(ti.metrics.dropped.WithLabelValues("test", dropBufferFull)); got == 0 {
		t.Error("dropped{buffer-full} not counted")
	}
	// The pipeline never recovers and closes: what was held is counted
	// as lost, not waited for.
	ti.Close()
	cancel()
	<-done
	if got := testutil.ToFloat64(ti.metrics.dropped.WithLabelValues("test", dropShutdown)); got == 0 {
		t.Error("dropped{shutdown} not counted")
	}
}

func TestOversizedBatchFitsAnEmptyBuffer(t *testing.T) {
	b := NewBuffer(2)
	big := make([]finding.Finding, 5)
	if err := b.TryPut(big); err != nil {
		t.Fatalf("a batch larger than the buffer must fit an empty one: %v", err)
	}
	if b.Depth() != 2 {
		t.Errorf("depth %d, want the capacity", b.Depth())
	}
	if err := b.TryPut(big[:1]); !errors.Is(err, errBufferFull) {
		t.Errorf("want full, got %v", err)
	}
	var got int
	b.Close()
	b.Drain(context.Background(), func(_ context.Context, fs []finding.Finding) { got += len(fs) })
	if got != 5 || b.Depth() != 0 {
		t.Errorf("drained %d, depth %d", got, b.Depth())
	}
}

func TestUnconfiguredAuthExplains(t *testing.T) {
	ti := newTestIntake(t, Unconfigured{}, 10, &recorder{})
	rec := ti.do(post("a"))
	p := decodeProblem(t, rec)
	if rec.Code != 401 || p.Reason != AuthNotConfigured || !strings.Contains(p.Detail, "WEBHOOK_TOKEN") {
		t.Errorf("want 401 naming WEBHOOK_TOKEN, got %d %+v", rec.Code, p)
	}
	if got := testutil.ToFloat64(ti.metrics.authFailures.WithLabelValues("test", AuthNotConfigured)); got != 1 {
		t.Errorf("auth failures %v", got)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 5s")
}

func TestManyBrokenItemsAreCountedNotAllListed(t *testing.T) {
	ti := newTestIntake(t, Open{}, 10, &recorder{})
	ti.Intake.handlers[0].ep.MaxBodyBytes = 1 << 20
	rec := ti.do(post("ok\n" + strings.Repeat("bad\n", 5000)))
	var rc Receipt
	if err := json.Unmarshal(rec.Body.Bytes(), &rc); err != nil || rec.Code != http.StatusAccepted {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if len(rc.Errors) != maxListedErrors || rc.ErrorsOmitted != 5000-maxListedErrors {
		t.Errorf("listed %d, omitted %d", len(rc.Errors), rc.ErrorsOmitted)
	}
	if got := testutil.ToFloat64(ti.metrics.dropped.WithLabelValues("test", source.ReasonMissingField)); got != 5000 {
		t.Errorf("dropped %v, want every broken item counted", got)
	}
}

func TestDrainRecordsWhatQueuedInOneCall(t *testing.T) {
	b := NewBuffer(10_000)
	for range 3000 {
		if err := b.TryPut(make([]finding.Finding, 1)); err != nil {
			t.Fatal(err)
		}
	}
	b.Close()
	var calls []int
	b.Drain(context.Background(), func(_ context.Context, fs []finding.Finding) { calls = append(calls, len(fs)) })
	if len(calls) != 3 || calls[0] != maxDrain || calls[2] != 3000-2*maxDrain || b.Depth() != 0 {
		t.Errorf("calls %v, depth %d: want batches of at most %d", calls, b.Depth(), maxDrain)
	}
}
