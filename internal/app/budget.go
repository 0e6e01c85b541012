package app

import (
	"net/http"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"

	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/version"
)

// ClientConfig is the one configuration every client of the daemon is
// built from. Its rate limiter is the daemon's whole budget towards the
// API server (API_QPS, API_BURST): a rest.Config copy keeps the same
// limiter, so the writer, the informers, discovery, and any client built
// later from this configuration draw from one bucket, where separate
// QPS settings would each get their own. limiter nil builds the bucket
// from cfg.
func ClientConfig(base *rest.Config, cfg config.Config, limiter flowcontrol.RateLimiter) *rest.Config {
	rc := rest.CopyConfig(base)
	rc.UserAgent = "zen-watcher/" + version.Version
	if limiter == nil {
		limiter = flowcontrol.NewTokenBucketRateLimiter(float32(cfg.APIQPS), cfg.APIBurst)
	}
	rc.RateLimiter = limiter
	rc.QPS, rc.Burst = float32(cfg.APIQPS), cfg.APIBurst // ignored beside RateLimiter; kept for what reads them
	// client-go never rate-limits a watch, and informers now list by
	// watching (sendInitialEvents): without this, their lists and every
	// watch restart would be outside the budget.
	rc.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &watchBudget{next: rt, limiter: limiter} })
	return rc
}

// watchBudget takes a token for each watch request, which client-go
// sends without one; every other request took its token in client-go.
type watchBudget struct {
	next    http.RoundTripper
	limiter flowcontrol.RateLimiter
}

func (w *watchBudget) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Query().Get("watch") == "true" {
		if err := w.limiter.Wait(r.Context()); err != nil {
			return nil, err
		}
	}
	return w.next.RoundTrip(r)
}
