package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/health"
)

// clusterWatch keeps the apiserver and crd readiness conditions current. It
// retries with capped exponential backoff while the API server is away, so a
// missing cluster never becomes a crash loop.
type clusterWatch struct {
	discovery discovery.DiscoveryInterface
	readiness *health.Readiness
	interval  time.Duration
	log       *slog.Logger
}

// run checks until ctx ends and calls onCRDServed once, the first time the
// ZenAgentEvent CRD is served.
func (c *clusterWatch) run(ctx context.Context, onCRDServed func()) {
	backoff := newBackoff(c.interval)
	started, healthy := false, false
	for {
		err := c.check()
		delay := c.interval
		if err != nil {
			delay = backoff.Step()
			c.log.Warn("cluster not ready", "error", err.Error(), "retryIn", delay.String())
		} else {
			if !healthy {
				c.log.Info("API server reachable and ZenAgentEvent CRD served")
			}
			backoff = newBackoff(c.interval)
			if !started {
				started = true
				onCRDServed()
			}
		}
		healthy = err == nil
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}

// check asks discovery whether the API server answers and serves the CRD,
// and records both conditions.
func (c *clusterWatch) check() error {
	gv := zenv1.GroupVersion.String()
	list, err := c.discovery.ServerResourcesForGroupVersion(gv)
	switch {
	case apierrors.IsNotFound(err):
		c.readiness.Set(checkAPIServer, nil)
		err = crdMissingError()
		c.readiness.Set(checkCRD, err)
		return err
	case err != nil:
		err = fmt.Errorf("API server unreachable: %w", err)
		c.readiness.Set(checkAPIServer, err)
		c.readiness.Set(checkCRD, errors.New("unknown until the API server answers"))
		return err
	}
	c.readiness.Set(checkAPIServer, nil)
	if !slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool { return r.Name == zenv1.ZenAgentEventResource }) {
		err = crdMissingError()
	}
	c.readiness.Set(checkCRD, err)
	return err
}

func crdMissingError() error {
	return fmt.Errorf("CustomResourceDefinition %s is not installed: apply config/crd/", zenv1.ZenAgentEventGroupResource)
}

// newBackoff retries after 1s, doubling with jitter up to the watch interval
// or 30s, whichever is less.
func newBackoff(interval time.Duration) *wait.Backoff {
	return &wait.Backoff{Duration: time.Second, Factor: 2, Jitter: 0.2, Steps: 64, Cap: min(interval, 30*time.Second)}
}

// withTimeout bounds each discovery call, so a black-holed API server is
// noticed instead of hanging the check.
func withTimeout(rc *rest.Config) *rest.Config {
	rc = rest.CopyConfig(rc)
	rc.Timeout = 10 * time.Second
	return rc
}
