package app

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/clusterid"
	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/output"
	"github.com/kube-zen/zen-watcher/internal/output/alertmanager"
	"github.com/kube-zen/zen-watcher/internal/output/slack"
	"github.com/kube-zen/zen-watcher/internal/output/webhook"
	"github.com/kube-zen/zen-watcher/internal/secretref"
)

// outputCheckpoint spaces an output's status writes: the duplicates a
// crash can cause are what was delivered within it, plus what was in flight.
const outputCheckpoint = 2 * time.Second

// outputBackoff spaces the retries of a failing batch: 1 s doubling to a
// minute, each wait up to half as long again at random, so that outputs
// failing together do not retry in step.
var outputBackoff = wait.Backoff{Duration: time.Second, Factor: 2, Jitter: 0.5, Steps: math.MaxInt32, Cap: time.Minute}

// outputBuilders makes the notifier of each ZenOutput kind; the webhook
// and Slack outputs name the cluster (CLUSTER_NAME, else kube-system's UID).
func outputBuilders(cfg config.Config, cluster *clusterid.Resolver) map[string]output.Builder {
	return map[string]output.Builder{
		v1alpha1.OutputTypeAlertmanager: alertmanager.Builder(cfg.AlertmanagerResendInterval),
		v1alpha1.OutputTypeWebhook:      webhook.Builder(cluster.Name),
		v1alpha1.OutputTypeSlack:        slack.Builder(cluster.Name),
	}
}

// addOutputs adds the ZenOutput controller and the delivery engine to
// mgr, as one runnable on the leader only. It starts them once both CRDs
// are served; until then, and in a cluster without the ZenOutput CRD,
// everything else runs. The engine's event cache is its own, without
// details, apart from the manager's.
func (d *daemon) addOutputs(mgr manager.Manager, rc *rest.Config, reg prometheus.Registerer) error {
	log := d.log.With("component", "outputs")
	// zen-watcher's own namespace, whose outputs see every namespace: the
	// same home as ZenSources', POD_NAMESPACE, else EVENT_NAMESPACE.
	home := d.cfg.PodNamespace
	if home == "" {
		home = d.cfg.EventNamespace
	}
	eng := output.NewEngine(output.Options{
		Reader: mgr.GetAPIReader(), Client: mgr.GetClient(), OwnNamespace: home,
		BacklogSize: output.BacklogSize, CheckpointInterval: outputCheckpoint, Backoff: outputBackoff, Registry: reg, Log: log,
	})
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return fmt.Errorf("building the Secret client: %w", err)
	}
	logger := logr.FromSlogHandler(log.Handler())
	run := func(ctx context.Context) {
		// client-go's reflectors log through the context's logger.
		ctx = logr.NewContext(ctx, logger)
		select {
		case <-d.crdServed:
		case <-ctx.Done():
			return
		}
		if !waitServed(ctx, cs.Discovery(), v1alpha1.GroupVersion.String(), v1alpha1.ZenOutputResource, d.cfg.WatchInterval, log) {
			return
		}
		c := &output.Controller{
			Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Engine: eng, Builders: outputBuilders(d.cfg, clusterid.New(d.cfg.ClusterName, cs.CoreV1())),
			Secrets: secretref.NewReader(cs.CoreV1(), serviceAccount(ctx, cs, log)), OwnNamespace: home, Log: log,
		}
		// Built only now: it maps ZenAgentEvent through discovery.
		events, err := cache.New(rc, cache.Options{Scheme: mgr.GetScheme(), ByObject: map[client.Object]cache.ByObject{
			&zenv1.ZenAgentEvent{}: {Transform: output.StripEvent},
		}})
		if err != nil {
			log.Error("building the outputs' event cache; outputs are off", "error", err.Error())
			return
		}
		engineDone := make(chan struct{})
		go func() {
			defer close(engineDone)
			if err := eng.Run(ctx, events); err != nil {
				log.Error("output engine stopped", "error", err.Error())
			}
		}()
		if err := c.Run(ctx, mgr.GetCache(), logger); err != nil {
			log.Error("ZenOutput controller stopped", "error", err.Error())
		}
		<-engineDone
	}
	if err := mgr.Add(d.gate.Runnable("outputs", run)); err != nil {
		return fmt.Errorf("adding the outputs: %w", err)
	}
	return nil
}

// waitServed polls discovery until the API server serves resource in
// groupVersion; false when ctx ended first.
func waitServed(ctx context.Context, disc discovery.DiscoveryInterface, groupVersion, resource string, every time.Duration, log *slog.Logger) bool {
	logged := false
	for {
		if list, err := disc.ServerResourcesForGroupVersion(groupVersion); err == nil {
			for _, r := range list.APIResources {
				if r.Name == resource {
					return true
				}
			}
		}
		if !logged {
			log.Info("ZenOutput CRD not served; outputs start once it is", "groupVersion", groupVersion)
			logged = true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(every):
		}
	}
}

// serviceAccount is who zen-watcher runs as, for the RoleBinding a
// SecretForbidden condition suggests; unknown (empty) if the API server
// does not say.
func serviceAccount(ctx context.Context, cs kubernetes.Interface, log *slog.Logger) types.NamespacedName {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	self, err := secretref.Self(ctx, cs.AuthenticationV1())
	if err != nil {
		log.Warn("could not tell zen-watcher's ServiceAccount; SecretForbidden hints will not name it", "error", err.Error())
	}
	return self
}
