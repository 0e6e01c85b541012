package output

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	ctrl "sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/secretref"
)

// Secrets reads one key of a Secret in the output's own namespace.
type Secrets = func(ctx context.Context, ref v1alpha1.SecretKeyRef) ([]byte, error)

// Builder makes the notifier of one output kind from its spec. Errors
// from Secrets keep their secretref reason, shown as the Ready reason.
type Builder func(ctx context.Context, o *v1alpha1.ZenOutput, secrets Secrets) (Notifier, error)

// secretRetry is how soon an output whose Secret is missing or forbidden
// is tried again: Secrets are read by GET, not watched.
const secretRetry = 30 * time.Second

// Controller reconciles ZenOutputs: it compiles each one's spec, builds
// its notifier, hands both to the engine and reports Ready.
type Controller struct {
	Client       ctrl.Client
	Reader       ctrl.Reader // uncached, for the status writes
	Engine       *Engine
	Builders     map[string]Builder // by kind: alertmanager, webhook, slack
	Secrets      *secretref.Reader
	OwnNamespace string
	Log          *slog.Logger
}

// Run runs the controller until ctx ends, watching ZenOutputs through
// c (the manager's cache). It is not added to the manager: the daemon
// starts it on the leader once the ZenOutput CRD is served, so that a
// cluster without it runs everything else. Status writes do not wake it.
func (c *Controller) Run(ctx context.Context, informers cache.Cache, logger logr.Logger) error {
	ctl, err := controller.NewUnmanaged("zenoutput", controller.Options{
		Reconciler: c, SkipNameValidation: ptr.To(true), Logger: logger,
		// A slow Secret read or engine sync must not stop other outputs' reconciles.
		MaxConcurrentReconciles: 2,
	})
	if err != nil {
		return fmt.Errorf("building the ZenOutput controller: %w", err)
	}
	if err := ctl.Watch(source.Kind(informers, &v1alpha1.ZenOutput{}, &handler.TypedEnqueueRequestForObject[*v1alpha1.ZenOutput]{},
		predicate.TypedGenerationChangedPredicate[*v1alpha1.ZenOutput]{})); err != nil {
		return fmt.Errorf("watching ZenOutputs: %w", err)
	}
	return ctl.Start(ctx)
}

// Reconcile implements reconcile.Reconciler.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var o v1alpha1.ZenOutput
	if err := c.Client.Get(ctx, req.NamespacedName, &o); err != nil {
		if apierrors.IsNotFound(err) {
			c.Engine.Forget(req.NamespacedName)
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, err
	}
	kind := Kind(&o)
	n, reason, err := c.build(ctx, &o, kind)
	if err != nil {
		c.Engine.Remove(req.NamespacedName)
		c.Log.Warn("output not ready", "output", req.String(), "reason", reason, "error", err.Error())
		if werr := c.setReady(ctx, &o, kind, metav1.ConditionFalse, reason, err.Error()); werr != nil {
			return reconcile.Result{}, werr
		}
		if reason == v1alpha1.ReasonInvalidSpec {
			return reconcile.Result{}, nil
		}
		return reconcile.Result{RequeueAfter: secretRetry}, nil
	}
	m, _ := NewMatcher(&o, c.OwnNamespace)
	if err := c.Engine.Apply(ctx, &o, m, n); err != nil {
		return reconcile.Result{}, err
	}
	return reconcile.Result{}, c.setReady(ctx, &o, kind, metav1.ConditionTrue, v1alpha1.ReasonReady, "delivering "+kind)
}

// build compiles the spec and makes the notifier, or says why not.
func (c *Controller) build(ctx context.Context, o *v1alpha1.ZenOutput, kind string) (Notifier, string, error) {
	if _, err := NewMatcher(o, c.OwnNamespace); err != nil {
		return nil, v1alpha1.ReasonInvalidSpec, err
	}
	b, ok := c.Builders[kind]
	if !ok {
		return nil, v1alpha1.ReasonInvalidSpec, fmt.Errorf("output kind %q is not supported by this zen-watcher", kind)
	}
	secrets := func(ctx context.Context, ref v1alpha1.SecretKeyRef) ([]byte, error) {
		return c.Secrets.Get(ctx, o.Namespace, ref)
	}
	n, err := b(ctx, o, secrets)
	if err != nil {
		if r, ok := secretref.Reason(err); ok {
			return nil, r, err
		}
		return nil, v1alpha1.ReasonInvalidSpec, err
	}
	return n, "", nil
}

// Kind names the output's destination kind, as in status.type.
func Kind(o *v1alpha1.ZenOutput) string {
	switch {
	case o.Spec.Alertmanager != nil:
		return v1alpha1.OutputTypeAlertmanager
	case o.Spec.Webhook != nil:
		return v1alpha1.OutputTypeWebhook
	case o.Spec.Slack != nil:
		return v1alpha1.OutputTypeSlack
	}
	return ""
}

// setReady writes the Ready condition, the kind and the generation, when
// they changed.
func (c *Controller) setReady(ctx context.Context, o *v1alpha1.ZenOutput, kind string, status metav1.ConditionStatus, reason, msg string) error {
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	cond := metav1.Condition{Type: v1alpha1.ConditionReady, Status: status, Reason: reason, Message: msg, ObservedGeneration: o.Generation}
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var cur v1alpha1.ZenOutput
		if err := c.Reader.Get(ctx, ctrl.ObjectKeyFromObject(o), &cur); err != nil {
			return err
		}
		old := meta.FindStatusCondition(cur.Status.Conditions, v1alpha1.ConditionReady)
		if old != nil && old.Status == status && old.Reason == reason && old.Message == msg &&
			cur.Status.ObservedGeneration == o.Generation && cur.Status.Type == kind {
			return nil
		}
		cur.Status.Type, cur.Status.ObservedGeneration = kind, o.Generation
		meta.SetStatusCondition(&cur.Status.Conditions, cond)
		return c.Client.Status().Update(ctx, &cur)
	})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("writing the Ready condition of %s/%s: %w", o.Namespace, o.Name, err)
	}
	return nil
}
