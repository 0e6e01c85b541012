package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// storedIntake serves one endpoint in stored acknowledgement mode, with
// findings recorded by sink; the test settles their acks as a store would.
func storedIntake(t *testing.T, timeout time.Duration) (*testIntake, func()) {
	t.Helper()
	reg := prometheus.NewRegistry()
	sink := &recorder{}
	in := New([]Endpoint{{Name: "test", Path: "/test/webhook", MediaTypes: []string{"application/json"}, MaxBodyBytes: 1024,
		BufferSize: 10, Parser: lineParser{}, WaitStored: true, StoredTimeout: timeout}},
		Options{IdempotencyTTL: time.Hour, Auth: Open{}}, sink, reg, slog.New(slog.DiscardHandler))
	mux := http.NewServeMux()
	in.Register(mux)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { in.Run(ctx); close(done) }()
	return &testIntake{Intake: in, reg: reg, mux: mux, sink: sink}, func() { in.Close(); cancel(); <-done }
}

// settle settles the acks of the findings recorded so far, from the n-th on.
func (r *recorder) settle(from int, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.got[from:] {
		f.Ack.Settle(err)
	}
}

// answerAsync serves req on its own goroutine.
func (ti *testIntake) answerAsync(req *http.Request) <-chan *httptest.ResponseRecorder {
	out := make(chan *httptest.ResponseRecorder, 1)
	go func() { out <- ti.do(req) }()
	return out
}

func waitRecorded(t *testing.T, r *recorder, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); r.count() < n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d findings recorded, want %d", r.count(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestStoredAnswersOnceEveryFindingIsStored(t *testing.T) {
	ti, stop := storedIntake(t, time.Minute)
	defer stop()
	answer := ti.answerAsync(post("a\nb"))
	waitRecorded(t, ti.sink, 2)
	ti.sink.mu.Lock()
	ti.sink.got[0].Ack.Settle(nil)
	ti.sink.mu.Unlock()
	select {
	case rec := <-answer:
		t.Fatalf("answered %d with one of two findings stored", rec.Code)
	case <-time.After(50 * time.Millisecond):
	}
	ti.sink.settle(1, nil)
	rec := <-answer
	var rc Receipt
	if rec.Code != http.StatusAccepted || json.Unmarshal(rec.Body.Bytes(), &rc) != nil || !rc.Stored || rc.Accepted != 2 {
		t.Fatalf("answer %d %s, want 202 with stored and 2 accepted", rec.Code, rec.Body)
	}
}

func TestStoredWithNothingToStoreAnswersAtOnce(t *testing.T) {
	ti, stop := storedIntake(t, time.Minute)
	defer stop()
	// The filter drops "filtered", the parser drops "skip": done.
	if rec := ti.do(post("filtered\nskip")); rec.Code != http.StatusAccepted {
		t.Fatalf("answer %d %s, want 202", rec.Code, rec.Body)
	}
}

func TestStoredTimeoutParksTheRequestForItsRetry(t *testing.T) {
	ti, stop := storedIntake(t, 20*time.Millisecond)
	defer stop()
	rec := ti.do(post("a", HeaderRequestID, "req-1"))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("answer %d (Retry-After %q), want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	if p := decodeProblem(t, rec); p.Reason != reasonNotStored {
		t.Errorf("reason %q, want %s", p.Reason, reasonNotStored)
	}
	// Not yet stored: the retry waits for the same finding, records nothing.
	if rec := ti.do(post("a", HeaderRequestID, "req-1")); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("retry answered %d, want 503 while not stored", rec.Code)
	}
	ti.sink.settle(0, nil)
	for i := range 2 {
		rec := ti.do(post("a", HeaderRequestID, "req-1"))
		if rec.Code != http.StatusAccepted || rec.Header().Get(HeaderReplayed) != "true" {
			t.Fatalf("retry %d after the store answered %d (replayed %q), want a replayed 202", i, rec.Code, rec.Header().Get(HeaderReplayed))
		}
	}
	if n := ti.sink.count(); n != 1 {
		t.Errorf("the finding was recorded %d times, want once", n)
	}
	if n := testutil.ToFloat64(ti.metrics.notStored.WithLabelValues("test")); n != 2 {
		t.Errorf("not-stored answers counted %v, want 2", n)
	}
}

func TestStoredWriteFailureMakesTheRetryFresh(t *testing.T) {
	ti, stop := storedIntake(t, time.Minute)
	defer stop()
	answer := ti.answerAsync(post("a", HeaderRequestID, "req-2"))
	waitRecorded(t, ti.sink, 1)
	ti.sink.settle(0, errors.New("dead-lettered"))
	if rec := <-answer; rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("answer %d, want 503 after a failed write", rec.Code)
	}
	answer = ti.answerAsync(post("a", HeaderRequestID, "req-2"))
	waitRecorded(t, ti.sink, 2) // recorded afresh
	ti.sink.settle(1, nil)
	if rec := <-answer; rec.Code != http.StatusAccepted {
		t.Fatalf("retry answered %d, want 202", rec.Code)
	}
}

func TestStoredClientLeavingStopsTheWait(t *testing.T) {
	ti, stop := storedIntake(t, time.Minute)
	defer stop()
	ctx, cancel := context.WithCancel(context.Background())
	answer := ti.answerAsync(post("a").WithContext(ctx))
	waitRecorded(t, ti.sink, 1)
	cancel()
	if rec := <-answer; rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("answer %d, want 503 once the client left", rec.Code)
	}
}
