package webhook

import (
	"net/http"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestLimiter(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	l := NewLimiter(2, 3, func() time.Time { return now })
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("request %d within the burst refused", i)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("over the burst: ok %v, wait %s", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Error("another key has its own bucket")
	}
	now = now.Add(500 * time.Millisecond)
	if ok, _ := l.Allow("a"); !ok {
		t.Error("a token refills at 2/s")
	}
	// Idle buckets are forgotten once they would be full again.
	now = now.Add(10 * time.Second)
	l.Allow("c")
	if _, kept := l.buckets["a"]; kept {
		t.Error("an idle bucket was kept")
	}
	var off *Limiter
	if ok, _ := off.Allow("x"); !ok {
		t.Error("a nil limiter limits nothing")
	}
	if ok, _ := NewLimiter(0, 1, time.Now).Allow("x"); !ok {
		t.Error("zero rps limits nothing")
	}
}

func TestLimiterIsBounded(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	l := NewLimiter(1, 1, func() time.Time { return now })
	for i := range maxBuckets {
		l.Allow(strconv.Itoa(i))
	}
	if ok, _ := l.Allow("one-too-many"); ok {
		t.Error("a new key beyond maxBuckets must be refused while all are active")
	}
	now = now.Add(time.Minute)
	if ok, _ := l.Allow("one-too-many"); !ok {
		t.Error("idle buckets must make room")
	}
}

func TestClientAddress(t *testing.T) {
	c := ClientAddress{Trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	for _, tc := range []struct{ remote, xff, want string }{
		{"192.0.2.1:5000", "", "192.0.2.1"},
		{"192.0.2.1:5000", "203.0.113.9", "192.0.2.1"},                          // not a trusted proxy: its header is ignored
		{"10.0.0.5:5000", "203.0.113.9", "203.0.113.9"},                         // one trusted proxy
		{"10.0.0.5:5000", "198.51.100.1, 203.0.113.9, 10.0.0.6", "203.0.113.9"}, // the nearest untrusted hop
		{"10.0.0.5:5000", "", "10.0.0.5"},
		{"10.0.0.5:5000", "not-an-ip", "10.0.0.5"},
		{"[::ffff:10.0.0.5]:5000", "203.0.113.9", "203.0.113.9"},
	} {
		r, _ := http.NewRequest(http.MethodPost, "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := c.Of(r); got != tc.want {
			t.Errorf("%s via %q: %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
}

func TestRateLimitedRequestsGet429(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  func(*Options)
		scope string
	}{
		{"per client", func(o *Options) { o.ClientLimit = NewLimiter(1, 2, time.Now) }, "client"},
		{"per identity", func(o *Options) { o.IdentityLimit = NewLimiter(1, 2, time.Now) }, "identity"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ti := newTestIntakeWith(t, 10, &recorder{}, func(o *Options) { o.Auth = NewTokens([]string{testToken}); tc.opts(o) })
			codes := map[int]int{}
			for range 4 {
				rec := ti.do(post("a"))
				codes[rec.Code]++
				if rec.Code == http.StatusTooManyRequests {
					if rec.Header().Get("Retry-After") == "" || decodeProblem(t, rec).Reason != reasonRateLimited {
						t.Errorf("429 without Retry-After or reason: %v", rec.Header())
					}
				}
			}
			if codes[202] != 2 || codes[429] != 2 {
				t.Errorf("answers %v: want the burst of 2 accepted, then 429", codes)
			}
			if n := testutil.ToFloat64(ti.metrics.rateLimited.WithLabelValues("test", tc.scope)); n != 2 {
				t.Errorf("rate_limited{scope=%s} = %v, want 2", tc.scope, n)
			}
		})
	}
}
