package integration

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"

	"github.com/kube-zen/zen-watcher/internal/app"
	"github.com/kube-zen/zen-watcher/internal/config"
)

// countingLimiter counts the tokens it grants.
type countingLimiter struct {
	flowcontrol.RateLimiter
	granted atomic.Int64
}

func (l *countingLimiter) TryAccept() bool {
	ok := l.RateLimiter.TryAccept()
	if ok {
		l.granted.Add(1)
	}
	return ok
}

func (l *countingLimiter) Accept() { l.RateLimiter.Accept(); l.granted.Add(1) }

func (l *countingLimiter) Wait(ctx context.Context) error {
	err := l.RateLimiter.Wait(ctx)
	if err == nil {
		l.granted.Add(1)
	}
	return err
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestOneClientBudget runs the daemon with a counting limiter as its API
// budget and a transport that checks, as each request leaves, that the
// limiter has granted at least as many tokens as requests have left: a
// client with a limiter of its own, or none, would send a request the
// budget never saw. Leader election's Lease requests are the one
// exception. It covers discovery, the informers' lists and
// watches (which client-go itself never rate-limits), the writer's
// creates and status patches, and the admin API's TokenReviews.
func TestOneClientBudget(t *testing.T) {
	lim := &countingLimiter{RateLimiter: flowcontrol.NewTokenBucketRateLimiter(1000, 1000)}
	var sent, unbudgeted atomic.Int64
	var mu sync.Mutex
	seen := map[string]bool{}
	rc := rest.CopyConfig(restConfig)
	rc.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripperFunc(func(r *http.Request) (*http.Response, error) {
			// The Lease client is outside the budget on purpose: a renewal
			// waiting behind a saturated writer could cost the Lease.
			if strings.Contains(r.URL.Path, "/leases") {
				return rt.RoundTrip(r)
			}
			if sent.Add(1) > lim.granted.Load() {
				unbudgeted.Add(1)
			}
			kind := r.Method + " " + r.URL.Path
			if r.URL.Query().Get("watch") == "true" {
				kind = "WATCH " + r.URL.Path
			}
			mu.Lock()
			seen[kind] = true
			mu.Unlock()
			return rt.RoundTrip(r)
		})
	})
	d := startDaemonOpts(t, rc, func(c *config.Config) { c.Webhooks.Token = webhookToken },
		func(o *app.Options) { o.APILimiter = lim })
	d.waitReady(t, http.StatusOK)
	if code, body := d.post(t, "/falco/webhook", webhookToken, alert("Budget "+uniqueName(t), "budget-pod")); code != http.StatusAccepted {
		t.Fatalf("%d %s", code, body)
	}
	eventually(t, "the alert's event created", func() error {
		mu.Lock()
		defer mu.Unlock()
		for k := range seen {
			if strings.HasPrefix(k, "POST ") && strings.HasSuffix(k, "/zenagentevents") {
				return nil
			}
		}
		return errors.New("no create seen yet")
	})
	// An admin call with a bearer token costs a TokenReview: the reviews
	// draw from the same budget.
	req, _ := http.NewRequest(http.MethodGet, d.url+"/api/v1/tools", nil)
	req.Header.Set("Authorization", "Bearer not-a-kubernetes-token")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	kinds := make([]string, 0, len(seen))
	for k := range seen {
		kinds = append(kinds, k)
	}
	mu.Unlock()
	slices.Sort(kinds)
	if n := unbudgeted.Load(); n > 0 {
		t.Errorf("%d of %d requests left without a token from the budget; requests seen: %v", n, sent.Load(), kinds)
	}
	for _, want := range []string{"GET /apis/zen.kube-zen.io/v1", "WATCH /apis/zen.kube-zen.io/v1/zenagentevents", "WATCH /api/v1/namespaces/kube-bench/configmaps", "GET /api/v1/namespaces/falco/pods", "POST /apis/zen.kube-zen.io/v1/namespaces/default/zenagentevents",
		"POST /apis/authentication.k8s.io/v1/tokenreviews"} {
		if !slices.ContainsFunc(kinds, func(k string) bool { return strings.HasPrefix(k, want) }) {
			t.Errorf("no %q request seen: the test does not cover it; seen %v", want, kinds)
		}
	}
	t.Logf("%d requests, %d tokens granted", sent.Load(), lim.granted.Load())
}
