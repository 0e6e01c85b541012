package webhook

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRequestIDIsEchoedOrMade(t *testing.T) {
	ti := newTestIntake(t, NewTokens([]string{testToken}), 10, &recorder{})
	rec := ti.do(post("a", HeaderRequestID, "client-id-1"))
	if got := rec.Header().Get(HeaderRequestID); got != "client-id-1" {
		t.Errorf("echoed %q", got)
	}
	for _, req := range []*http.Request{post("a"), post("a", "Authorization", "Bearer wrong"), httptestGet()} {
		rec := ti.do(req)
		id := rec.Header().Get(HeaderRequestID)
		if len(id) != 32 {
			t.Errorf("status %d: generated id %q", rec.Code, id)
		}
		if rec.Code >= 400 && decodeProblem(t, rec).Instance != id {
			t.Errorf("problem instance is not the request id")
		}
	}
}

func httptestGet() *http.Request {
	r := post("")
	r.Method = http.MethodGet
	return r
}

func TestBadRequestIDsAndContractVersions(t *testing.T) {
	repeated := post("a", HeaderRequestID, "one")
	repeated.Header.Add(HeaderRequestID, "two")
	twoVersions := post("a")
	twoVersions.Header.Add(HeaderContractVersion, "v1")
	twoVersions.Header.Add(HeaderContractVersion, "v1")
	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
		reason string
	}{
		{"repeated id", repeated, 400, reasonBadRequestID},
		{"overlong id", post("a", HeaderRequestID, strings.Repeat("i", 201)), 400, reasonBadRequestID},
		{"id with odd bytes", post("a", HeaderRequestID, "id\x01\xfe"), 400, reasonBadRequestID},
		{"version v1", post("a", HeaderContractVersion, "v1"), 202, ""},
		{"version v2", post("a", HeaderContractVersion, "v2"), 400, reasonContractVersion},
		{"version repeated", twoVersions, 400, reasonContractVersion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ti := newTestIntake(t, NewTokens([]string{testToken}), 10, &recorder{})
			rec := ti.do(tc.req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.reason != "" {
				p := decodeProblem(t, rec)
				if p.Reason != tc.reason {
					t.Errorf("reason %q", p.Reason)
				}
				if tc.reason == reasonContractVersion && !strings.Contains(p.Detail, "v1") {
					t.Errorf("the supported versions are not listed: %s", p.Detail)
				}
			}
		})
	}
}

func TestIdempotentRetries(t *testing.T) {
	sink := &recorder{}
	ti := newTestIntake(t, NewTokens([]string{testToken}), 10, sink)
	first := ti.do(post("a\nb", HeaderRequestID, "retry-1"))
	again := ti.do(post("a\nb", HeaderRequestID, "retry-1"))
	if first.Code != 202 || again.Code != 202 || again.Body.String() != first.Body.String() || again.Header().Get(HeaderReplayed) != "true" {
		t.Fatalf("retry: %d %q %v", again.Code, again.Body, again.Header())
	}
	if first.Header().Get(HeaderReplayed) != "" {
		t.Error("the first answer is not a replay")
	}
	if n := ti.handlers[0].buffer.Depth(); n != 2 {
		t.Errorf("buffered %d findings, want the first delivery's 2 only", n)
	}
	if rec := ti.do(post("c", HeaderRequestID, "retry-1")); rec.Code != http.StatusConflict || decodeProblem(t, rec).Reason != reasonIDConflict {
		t.Errorf("same id, other body: %d %s", rec.Code, rec.Body)
	}
	// A refusal the sender can fix is remembered too; a 503 is not.
	bad := ti.do(post("bad", HeaderRequestID, "retry-2"))
	if again := ti.do(post("bad", HeaderRequestID, "retry-2")); bad.Code != 400 || again.Header().Get(HeaderReplayed) != "true" {
		t.Errorf("a 400 retried: %d %v", again.Code, again.Header())
	}
	// Another sender's id is its own.
	other := newTestIntake(t, NewTokens([]string{testToken}), 10, &recorder{})
	if rec := other.do(post("z", HeaderRequestID, "retry-1")); rec.Code != 202 || rec.Header().Get(HeaderReplayed) != "" {
		t.Errorf("another intake: %d", rec.Code)
	}
}

func TestUnavailableAnswersAreNotReplayed(t *testing.T) {
	sink := &recorder{}
	ti := newTestIntake(t, Open{}, 1, sink)
	if rec := ti.do(post("y")); rec.Code != 202 { // fills the one-finding buffer: nothing drains it yet
		t.Fatal(rec.Code)
	}
	for range 2 {
		rec := ti.do(post("x", HeaderRequestID, "full-1"))
		if rec.Code != 503 || rec.Header().Get(HeaderReplayed) != "" {
			t.Fatalf("want a fresh 503 each time, got %d %v", rec.Code, rec.Header())
		}
	}
	done := make(chan struct{})
	go func() { ti.Run(context.Background()); close(done) }()
	waitFor(t, func() bool { return ti.handlers[0].buffer.Depth() == 0 })
	if rec := ti.do(post("x", HeaderRequestID, "full-1")); rec.Code != 202 || rec.Header().Get(HeaderReplayed) != "" {
		t.Errorf("the retry after the 503 must be processed: %d %v", rec.Code, rec.Header())
	}
	ti.Close()
	<-done
	if n := sink.count(); n != 2 {
		t.Errorf("recorded %d findings, want y and x", n)
	}
}

func TestIdempotencyCacheIsBounded(t *testing.T) {
	c := newIdempotency(time.Hour, 3)
	now := time.Now()
	for _, k := range []string{"a", "b", "c", "d"} {
		if st, _ := c.begin(k, []byte(k), now); st != idemNew {
			t.Fatalf("%s: %v", k, st)
		}
		c.finish(k, 202, "application/json", []byte(k))
	}
	if len(c.answers) != 3 {
		t.Errorf("%d answers kept, want 3", len(c.answers))
	}
	if st, _ := c.begin("a", []byte("a"), now); st != idemNew {
		t.Error("the oldest answer must have been dropped")
	}
	if st, _ := c.begin("d", []byte("d"), now.Add(2*time.Hour)); st != idemNew {
		t.Error("an expired answer must not be replayed")
	}
	c.abandon("d")
	if st, _ := c.begin("d", []byte("d"), now); st != idemNew {
		t.Error("an abandoned key is new again")
	}
}
