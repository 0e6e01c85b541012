package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/dynsource"
	"github.com/kube-zen/zen-watcher/internal/dynsource/watch"
	"github.com/kube-zen/zen-watcher/internal/leader"
	"github.com/kube-zen/zen-watcher/internal/secretref"
	"github.com/kube-zen/zen-watcher/internal/webhook"
)

// selfTimeout bounds the question of who zen-watcher is, asked once at
// start for the SecretForbidden hint.
const selfTimeout = 5 * time.Second

// newDynSources builds the ZenSource controller on mgr, serving its
// webhooks through intake, and returns their router. Every replica runs
// it; the counters are written from every replica too (see dynsource).
// Its watch sources run with the pull sources, on the leader: they are
// handed to sources.
func newDynSources(ctx context.Context, mgr manager.Manager, cfg config.Config, rc *rest.Config, intake *webhook.Intake,
	sources *Sources, reg prometheus.Registerer, log *slog.Logger) (*dynsource.Endpoints, error) {
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	direct, err := client.New(rc, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("building the ZenSource client: %w", err)
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("building the Secret client: %w", err)
	}
	sctx, cancel := context.WithTimeout(ctx, selfTimeout)
	self, err := secretref.Self(sctx, cs.AuthenticationV1())
	cancel()
	if err != nil {
		log.Warn("SecretForbidden messages will not name zen-watcher's ServiceAccount", "error", err.Error())
	}
	log = log.With("component", "zensource")
	m := dynsource.NewMetrics(reg)
	endpoints := dynsource.NewEndpoints(m)
	counters := dynsource.NewCounters(direct, log)
	wc := cfg.Webhooks
	// zen-watcher's own namespace, where a source may watch or report on
	// every namespace: the Lease's default, when POD_NAMESPACE is unset.
	home := cfg.PodNamespace
	if home == "" {
		home = cfg.EventNamespace
	}
	var ctrl *dynsource.Controller
	wo := sources.WatchOptions()
	wo.HomeNamespace, wo.Counter = home, counters
	// A watch's condition reaches the status at once, not at the next
	// periodic reconcile. The runner calls this only once the manager runs.
	wo.OnChange = func(key types.NamespacedName) { ctrl.Changed(key) }
	watches := watch.New(wo)
	sources.SetWatches(watches)
	ctrl = dynsource.New(dynsource.Options{
		Client: mgr.GetClient(), Direct: direct, Secrets: secretref.NewReader(cs.CoreV1(), self),
		Intake: intake, Endpoints: endpoints, Counters: counters, Metrics: m,
		Watch: watches, HomeNamespace: home,
		Defaults: dynsource.Defaults{MaxBodyBytes: wc.SourceMaxBodyBytes, BufferSize: wc.SourceBufferSize,
			RPS: wc.RateLimitRPS, Burst: wc.RateLimitBurst, HMACMaxSkew: wc.HMACMaxSkew},
		Nonces:  webhook.NewNonceCache(wc.HMACMaxNonces),
		Elected: mgr.Elected(),
		Log:     log,
	})
	if err := ctrl.SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("registering the ZenSource controller: %w", err)
	}
	if err := mgr.Add(leader.Everywhere("zensource-counters", counters.Run)); err != nil {
		return nil, fmt.Errorf("adding a runnable to the manager: %w", err)
	}
	return endpoints, nil
}
