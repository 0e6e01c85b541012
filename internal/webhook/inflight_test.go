package webhook

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestInflightBudget shows that a body that does not fit the bytes in
// flight gets 503 with Retry-After, whether its length is declared, sent
// chunked or compressed, and that every request gives its bytes back.
func TestInflightBudget(t *testing.T) {
	budget := NewBudget(4096)
	ti := newTestIntakeWith(t, 10, &recorder{}, func(o *Options) { o.Auth = NewTokens([]string{testToken}); o.Inflight = budget })
	body := strings.Repeat("x", 900) // one item of 900 bytes: fits alone, not beside 3,500 held
	chunked := func(r *http.Request) *http.Request {
		r.ContentLength = -1
		r.Body = io.NopCloser(strings.NewReader(body))
		return r
	}
	requests := map[string]func() *http.Request{
		"declared": func() *http.Request { return post(body) },
		"chunked":  func() *http.Request { return chunked(post(body)) },
		"gzip":     func() *http.Request { return post(gzipped(body), "Content-Encoding", "gzip") },
	}
	for name, req := range requests {
		t.Run(name, func(t *testing.T) {
			if rec := ti.do(req()); rec.Code != http.StatusAccepted {
				t.Fatalf("with room: %d %s", rec.Code, rec.Body)
			}
			if !budget.take(3500) {
				t.Fatal("the budget was not given back")
			}
			rec := ti.do(req())
			budget.used.Add(-3500)
			if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "1" {
				t.Fatalf("without room: %d %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
			}
			if p := decodeProblem(t, rec); p.Reason != reasonInflightFull {
				t.Errorf("reason %q", p.Reason)
			}
			if n := budget.InUse(); n != 0 {
				t.Errorf("%d bytes still reserved after the requests", n)
			}
		})
	}
}

// TestInflightBudgetIsCheckedBeforeReading shows that a declared length
// over the room left is refused without reading a byte of the body.
func TestInflightBudgetIsCheckedBeforeReading(t *testing.T) {
	budget := NewBudget(1 << 20)
	ti := newTestIntakeWith(t, 10, &recorder{}, func(o *Options) { o.Auth = NewTokens([]string{testToken}); o.Inflight = budget })
	budget.take(1<<20 - 100)
	req := post(strings.Repeat("x", 500))
	counted := &countingReader{r: req.Body}
	req.Body = io.NopCloser(counted)
	if rec := ti.do(req); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if counted.n != 0 {
		t.Errorf("read %d bytes of a body refused by its declared length", counted.n)
	}
}

func TestReservationSteps(t *testing.T) {
	b := NewBudget(100 << 10)
	r := &reservation{budget: b}
	if !r.ensure(10) || r.held != minStep {
		t.Fatalf("held %d, want one step", r.held)
	}
	if !r.ensure(minStep) || b.InUse() != minStep {
		t.Fatal("within what is held: no more taken")
	}
	if !r.ensure(90<<10) || r.held != 90<<10 {
		t.Fatalf("the last bytes below the budget: held %d", r.held)
	}
	if r.ensure(200 << 10) {
		t.Fatal("over the budget")
	}
	r.release()
	if b.InUse() != 0 {
		t.Fatalf("%d in use after release", b.InUse())
	}
	var none reservation
	if !none.ensure(1 << 40) {
		t.Fatal("no budget bounds nothing")
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// TestRefusalBeforeTheBodyClosesTheConnection: an HTTP/1 answer given
// before the body is read closes the connection; one given after keeps it.
func TestRefusalBeforeTheBodyClosesTheConnection(t *testing.T) {
	ti := newTestIntake(t, NewTokens([]string{testToken}), 10, &recorder{})
	if rec := ti.do(post("a", "Authorization", "Bearer wrong")); rec.Code != 401 || rec.Header().Get("Connection") != "close" {
		t.Errorf("refused before the body: %d, Connection %q", rec.Code, rec.Header().Get("Connection"))
	}
	if rec := ti.do(post("broken")); rec.Code != 400 || rec.Header().Get("Connection") != "" {
		t.Errorf("refused after the body: %d, Connection %q", rec.Code, rec.Header().Get("Connection"))
	}
	h2 := post("a", "Authorization", "Bearer wrong")
	h2.ProtoMajor, h2.ProtoMinor, h2.Proto = 2, 0, "HTTP/2.0"
	if rec := ti.do(h2); rec.Header().Get("Connection") != "" {
		t.Error("HTTP/2: Connection: close would end every stream of the connection")
	}
}
