package webhook

import (
	"net/http"
	"runtime"
	"strconv"
	"testing"
	"time"
)

func TestNonceCacheIsBoundedAndForgets(t *testing.T) {
	const skew = time.Minute
	c := NewNonceCache(2)
	exp := signNow.Add(skew)
	add := func(nonce string, exp, now time.Time) (nonceError, time.Duration) {
		return c.add(nonce, exp, skew, now)
	}
	if o, _ := add("a", exp, signNow); o != nonceOK {
		t.Fatal("room for two")
	}
	if o, _ := add("b", exp, signNow); o != nonceOK {
		t.Fatal("room for two")
	}
	if o, _ := add("a", exp, signNow); o != errReplayed {
		t.Error("a replay within the window")
	}
	o, wait := add("c", exp, signNow)
	if o != errCacheFull {
		t.Fatal("a third nonce within the window must be refused, not let a replay through")
	}
	// The generation of a and b ends within one width (skew/8) after exp.
	if lo, hi := skew, skew+skew/nonceGenerations; wait < lo || wait > hi {
		t.Errorf("Retry-After %v, want the time until room frees, %v–%v", wait, lo, hi)
	}
	later := signNow.Add(wait)
	if o, _ := add("c", later.Add(skew), later); o != nonceOK {
		t.Error("expired nonces must make room")
	}
	if o, _ := add("a", later.Add(skew), later); o != nonceOK {
		t.Error("an expired nonce is forgotten")
	}
	if c.Len() != 2 {
		t.Errorf("Len %d, want 2", c.Len())
	}
}

func TestNonceCacheKeepsUntilExpiry(t *testing.T) {
	const skew = 80 * time.Second // generations of 10 s
	c := NewNonceCache(10)
	exp := signNow.Add(skew)
	if o, _ := c.add("n", exp, skew, signNow); o != nonceOK {
		t.Fatal(o)
	}
	for _, at := range []time.Duration{time.Second, skew / 2, skew} {
		if o, _ := c.add("n", exp, skew, signNow.Add(at)); o != errReplayed {
			t.Errorf("at +%v: %v, want a replay: the nonce must be kept until its timestamp leaves the window", at, o)
		}
	}
}

// TestFullNonceCacheAnswers503 shows that a correctly signed request is
// never told 401 for want of room: it gets 503 with Retry-After.
func TestFullNonceCacheAnswers503(t *testing.T) {
	h := NewHMAC([]string{testKey}, 5*time.Minute, func() time.Time { return signNow })
	h.UseNonces(NewNonceCache(1))
	ti := newTestIntake(t, h, 10, &recorder{})
	if rec := ti.do(signedPost(testKey, signNow, "first-nonce-00001", "a")); rec.Code != 202 {
		t.Fatalf("first: %d %s", rec.Code, rec.Body)
	}
	rec := ti.do(signedPost(testKey, signNow, "second-nonce-0001", "a"))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("full cache: %d, want 503: %s", rec.Code, rec.Body)
	}
	if p := decodeProblem(t, rec); p.Reason != AuthNonceCacheFull {
		t.Errorf("reason %q", p.Reason)
	}
	if ra, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || ra < 1 || ra > 400 {
		t.Errorf("Retry-After %q, want the seconds until room frees", rec.Header().Get("Retry-After"))
	}
	if rec.Header().Get("WWW-Authenticate") != "" {
		t.Error("a 503 is not an authentication challenge")
	}
}

// BenchmarkNonceCacheMemory reports the heap bytes per remembered nonce
// at the default capacity's scale.
func BenchmarkNonceCacheMemory(b *testing.B) {
	const n = 1_000_000
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		c := NewNonceCache(n)
		now := signNow
		for i := range n {
			// 5,000 a second, as the documented sustained rate.
			at := now.Add(time.Duration(i) * time.Second / 5000)
			c.add("nonce-"+strconv.Itoa(i)+"-padding", at.Add(5*time.Minute), 5*time.Minute, at)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/nonce")
		runtime.KeepAlive(c)
	}
}

// BenchmarkNonceCacheAdd is one remembered nonce with about 1.5 million
// already in the cache, the steady state at 5,000 signed requests a second.
func BenchmarkNonceCacheAdd(b *testing.B) {
	c := NewNonceCache(DefaultMaxNonces)
	now := signNow
	i := 0
	next := func() {
		at := now.Add(time.Duration(i) * time.Second / 5000)
		c.add("nonce-"+strconv.Itoa(i)+"-padding", at.Add(5*time.Minute), 5*time.Minute, at)
		i++
	}
	for range 1_500_000 {
		next()
	}
	b.ResetTimer()
	for b.Loop() {
		next()
	}
}
