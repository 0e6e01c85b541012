package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kube-zen/zen-watcher/internal/source"
)

// schemaParser refuses a body "invalid" with the places that are wrong.
type schemaParser struct{ lineParser }

func (p schemaParser) Parse(body []byte, now time.Time) (source.Batch, error) {
	if string(body) == "invalid" {
		return source.Batch{}, &PayloadError{Detail: "the body does not match the source's schema",
			Errors: []source.ItemError{{Pointer: "/alerts/0/status", Reason: "schema", Detail: "want string"}}}
	}
	return p.lineParser.Parse(body, now)
}

// TestAddedEndpoints covers endpoints added while the intake serves: each
// has its own credentials and budget, drains into the pipeline before and
// after Run starts, and ends with Remove or Close.
func TestAddedEndpoints(t *testing.T) {
	ti := newTestIntake(t, NewTokens([]string{testToken}), 10, &recorder{})
	type observed struct{ items, accepted int }
	seen := make(chan observed, 10)
	add := func(name, token string, limit *Limiter) *Handler {
		return ti.Add(Endpoint{Name: name, Label: "sources", MediaTypes: []string{"application/json"}, MaxBodyBytes: 1024, BufferSize: 10,
			Parser: schemaParser{}, Auth: NewTokens([]string{token}), Limit: limit,
			Observe: func(b source.Batch, accepted int) { seen <- observed{b.Items, accepted} }})
	}
	a := add("team-a/x", "token-a", NewLimiter(1, 2, time.Now)) // before Run: buffered until it starts
	send := func(h *Handler, token, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/anything", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := send(a, "token-a", "one\ntwo"); rec.Code != http.StatusAccepted {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if o := <-seen; o.items != 2 || o.accepted != 2 {
		t.Errorf("observed %+v", o)
	}
	if rec := send(a, testToken, "one"); rec.Code != http.StatusUnauthorized {
		t.Errorf("the fixed endpoint's token opened an added one: %d", rec.Code)
	}
	rec := send(a, "token-a", "invalid")
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if p := decodeProblem(t, rec); len(p.Errors) != 1 || p.Errors[0].Pointer != "/alerts/0/status" {
		t.Errorf("the problem does not point at the bad value: %+v", p)
	}
	if rec := send(a, "token-a", "three"); rec.Code != http.StatusTooManyRequests {
		t.Errorf("over the endpoint's own budget: %d", rec.Code)
	}
	b := add("team-b/x", "token-b", NewLimiter(1, 2, time.Now))
	if rec := send(b, "token-b", "four"); rec.Code != http.StatusAccepted {
		t.Errorf("another endpoint's budget was spent: %d %s", rec.Code, rec.Body)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan struct{})
	go func() { ti.Run(ctx); close(ran) }()
	deadline := time.Now().Add(10 * time.Second)
	for ti.sink.count() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	c := add("team-c/x", "token-c", nil) // while running
	if rec := send(c, "token-c", "five"); rec.Code != http.StatusAccepted {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
	c.Remove()
	if rec := send(c, "token-c", "six"); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("a removed endpoint took a body: %d", rec.Code)
	}
	ti.Close()
	<-ran
	if n := ti.sink.count(); n != 4 {
		t.Errorf("%d findings reached the pipeline, want 4", n)
	}
	if d := ti.Add(Endpoint{Name: "late", MaxBodyBytes: 10, BufferSize: 1, Parser: lineParser{}}); d.BufferDepth() != 0 {
		t.Error("an endpoint added after Close holds findings")
	}
}
