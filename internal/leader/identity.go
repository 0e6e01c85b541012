package leader

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/rand"
	coordinationv1client "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection/resourcelock"

	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/version"
)

// Identity names this replica in the Lease: POD_NAME when set, which makes
// `kubectl get lease` point at a pod, else the host name plus a random
// suffix, so two processes on one host never share an identity.
func Identity(podName string, hostname func() (string, error)) (string, error) {
	if podName != "" {
		return podName, nil
	}
	host, err := hostname()
	if err != nil {
		return "", fmt.Errorf("no POD_NAME and no host name for the leader identity: %w", err)
	}
	return host + "_" + rand.String(8), nil
}

// NewLock builds the Lease lock. Its client has its own timeout, half the
// renew deadline (at least 1s), as controller-runtime's own lock does: one
// hung request must not cost the lease. It also has its own rate limit, so
// a busy writer never delays a renewal.
func NewLock(rc *rest.Config, le config.LeaderElection, identity string) (resourcelock.Interface, error) {
	rc = rest.CopyConfig(rc)
	rc.UserAgent = "zen-watcher/" + version.Version + " leader-election"
	rc.Timeout = max(le.RenewDeadline/2, time.Second)
	rc.RateLimiter, rc.QPS, rc.Burst = nil, 5, 10
	c, err := coordinationv1client.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("building the Lease client: %w", err)
	}
	return resourcelock.New(resourcelock.LeasesResourceLock, le.Namespace, le.ID, nil, c,
		resourcelock.ResourceLockConfig{Identity: identity})
}
