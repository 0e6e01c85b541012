package app

import (
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kube-zen/zen-watcher/internal/adminauth"
	"github.com/kube-zen/zen-watcher/internal/config"
)

// defaultAdminNamespace is where admin calls are authorized when
// POD_NAMESPACE is unset, as when the daemon runs outside a cluster.
const defaultAdminNamespace = "default"

// newGuard builds what guards the admin API and, with METRICS_AUTH=kubernetes,
// /metrics. Its reviews share API_QPS with the rest of the daemon's
// requests, and its cache keeps a polling client from costing a review per
// call. hooks tells webhook tokens, which are refused without a review.
func newGuard(cfg config.Config, rc *rest.Config, hooks *Webhooks, reg prometheus.Registerer, log *slog.Logger) (*adminauth.Guard, error) {
	rc = rest.CopyConfig(rc)
	rc.QPS, rc.Burst = float32(cfg.APIQPS), cfg.APIBurst
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("building the review client: %w", err)
	}
	ns := cfg.PodNamespace
	if ns == "" {
		ns = defaultAdminNamespace
	}
	return adminauth.New(adminauth.Options{
		Authentication: cs.AuthenticationV1(),
		Authorization:  cs.AuthorizationV1(),
		Namespace:      ns,
		WebhookToken:   hooks.HoldsToken,
		Registerer:     reg,
		Logger:         log.With("component", "adminauth"),
	})
}
