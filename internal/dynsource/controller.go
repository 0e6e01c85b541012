package dynsource

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/dynsource/watch"
	"github.com/kube-zen/zen-watcher/internal/mapping"
	"github.com/kube-zen/zen-watcher/internal/secretref"
	"github.com/kube-zen/zen-watcher/internal/webhook"
)

// recheck is how often a source is reconciled without a change: its
// Secrets are read again (a plain GET, no Secret informer), so a rotation
// takes effect within about recheck plus the reader's cache.
const recheck = 10 * time.Second

// BuiltinNames are the built-in sources' names; a ZenSource may not take
// one, or its events would mix with theirs.
var BuiltinNames = []string{"trivy", "kyverno", "kube-bench", "checkov", "falco", "audit"}

// maxNameLen bounds a source's name: it becomes the events' source label.
const maxNameLen = 63

// WatchRunner runs watch sources on the leader; *watch.Runner is one.
// Apply and Remove may be called on every replica; Status answers only
// where the watches run.
type WatchRunner interface {
	Apply(src watch.Source)
	Remove(key types.NamespacedName)
	Status(key types.NamespacedName) (watch.Status, bool)
}

// SecretReader reads one key of a Secret; *secretref.Reader is one.
type SecretReader interface {
	Get(ctx context.Context, namespace string, ref v1alpha1.SecretKeyRef) ([]byte, error)
}

// Defaults are the daemon's limits for a webhook source that sets none.
type Defaults struct {
	// MaxBodyBytes is the default and the most a source may ask for.
	MaxBodyBytes int64
	BufferSize   int
	RPS          float64
	Burst        int
	HMACMaxSkew  time.Duration
}

// Options are what the controller needs.
type Options struct {
	// Client reads ZenSources from the manager's cache; Direct reads and
	// writes the API server (status updates on fresh versions).
	Client, Direct client.Client
	Secrets        SecretReader
	Intake         *webhook.Intake
	Endpoints      *Endpoints
	Counters       *Counters
	Metrics        *Metrics
	// Watch runs the watch sources; nil refuses them.
	Watch WatchRunner
	// HomeNamespace is zen-watcher's own namespace: only its sources may
	// report resources of other namespaces, or watch them all.
	HomeNamespace string
	Defaults      Defaults
	// Nonces is the replay cache every source's HMAC shares.
	Nonces *webhook.NonceCache
	// Elected is closed once this replica leads (or at once without
	// leader election): only then does it write conditions.
	Elected <-chan struct{}
	Log     *slog.Logger
}

// Controller reconciles ZenSources on every replica.
type Controller struct {
	opts Options

	mu   sync.Mutex
	live map[types.NamespacedName]*live
	// changes carries Changed to the controller's queue.
	changes chan event.TypedGenericEvent[types.NamespacedName]
}

// live is what one webhook source runs with on this replica.
type live struct {
	generation int64
	tokens     *webhook.Tokens
	hmac       *webhook.HMAC
	handler    *webhook.Handler
}

// New builds the controller; SetupWithManager registers it.
func New(opts Options) *Controller {
	return &Controller{opts: opts, live: map[types.NamespacedName]*live{}, changes: make(chan event.TypedGenericEvent[types.NamespacedName], changesBuffer)}
}

// SetupWithManager runs the controller on every replica: every replica
// serves the webhook sources.
func (c *Controller) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("zensource").
		For(&v1alpha1.ZenSource{}).
		WatchesRawSource(c.changeSource()).
		// One controller per manager, but tests run several managers in
		// one process, and the name check is process-wide.
		WithOptions(controller.Options{NeedLeaderElection: ptr.To(false), MaxConcurrentReconciles: 2, SkipNameValidation: ptr.To(true)}).
		Complete(c)
}

// verdict is a source's Ready condition as this replica sees it.
type verdict struct {
	ready           bool
	reason, message string
}

func notReady(reason, format string, args ...any) verdict {
	return verdict{reason: reason, message: fmt.Sprintf(format, args...)}
}

// Reconcile brings one source in line with its spec.
func (c *Controller) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	key := req.NamespacedName
	src := &v1alpha1.ZenSource{}
	if err := c.opts.Client.Get(ctx, key, src); err != nil {
		if apierrors.IsNotFound(err) {
			c.forget(key)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("reading ZenSource %s: %w", key, err)
	}
	if !src.DeletionTimestamp.IsZero() {
		c.forget(key)
		return ctrl.Result{}, nil
	}
	var v verdict
	var err error
	if src.Spec.Webhook != nil {
		v, err = c.webhook(ctx, src)
	} else {
		v = c.watch(src)
	}
	if err != nil {
		return ctrl.Result{}, err // transient: keep what runs, retry with backoff
	}
	c.opts.Metrics.setReady(key, v.ready)
	if c.leading() {
		if err := c.writeStatus(ctx, src, v); err != nil {
			return ctrl.Result{}, err
		}
	}
	return ctrl.Result{RequeueAfter: recheck}, nil
}

func (c *Controller) leading() bool {
	select {
	case <-c.opts.Elected:
		return true
	default:
		return false
	}
}

// checkName refuses names the source may not have.
func checkName(key types.NamespacedName) (verdict, bool) {
	switch {
	case slices.Contains(BuiltinNames, key.Name):
		return notReady(v1alpha1.ReasonNameConflict, "%q is the name of a built-in source (%v); choose another name", key.Name, BuiltinNames), false
	case len(key.Name) > maxNameLen:
		return notReady(v1alpha1.ReasonNotAllowed, "the name has %d characters; it becomes the events' source label, at most %d", len(key.Name), maxNameLen), false
	}
	return verdict{}, true
}

// watch declares a watch source to the runner, which runs it on the
// leader; the condition is the runner's.
func (c *Controller) watch(src *v1alpha1.ZenSource) verdict {
	key := client.ObjectKeyFromObject(src)
	c.dropWebhook(key) // the spec may have switched from webhook to watch
	v, ok := checkName(key)
	var prog *mapping.Program
	switch {
	case !ok:
	case c.opts.Watch == nil:
		v, ok = notReady(v1alpha1.ReasonNotAllowed, "watch sources are not enabled on this zen-watcher"), false
	case src.Spec.Watch.AllNamespaces && key.Namespace != c.opts.HomeNamespace:
		v, ok = notReady(v1alpha1.ReasonNotAllowed, "allNamespaces is allowed only for a ZenSource in zen-watcher's namespace %q", c.opts.HomeNamespace), false
	default:
		var err error
		if prog, err = mapping.Compile(src.Spec.Mapping, mapping.VarObject); err != nil {
			v, ok = notReady(v1alpha1.ReasonInvalidMapping, "%v", err), false
		}
	}
	if !ok {
		if c.opts.Watch != nil {
			c.opts.Watch.Remove(key) // paused until fixed
		}
		return v
	}
	c.opts.Watch.Apply(watch.Source{Namespace: key.Namespace, Name: key.Name, Generation: src.Generation, Watch: *src.Spec.Watch, Mapper: prog})
	st, ok := c.opts.Watch.Status(key)
	if !ok {
		return verdict{ready: true}
	}
	return verdict{ready: st.Ready == metav1.ConditionTrue, reason: st.Reason, message: st.Message}
}

// forget stops everything of a deleted source on this replica.
func (c *Controller) forget(key types.NamespacedName) {
	c.dropWebhook(key)
	if c.opts.Watch != nil {
		c.opts.Watch.Remove(key)
	}
	c.opts.Counters.Forget(key)
	c.opts.Metrics.forget(key)
}

// dropWebhook stops serving key: 404 from now on.
func (c *Controller) dropWebhook(key types.NamespacedName) {
	if old := c.opts.Endpoints.remove(key); old != nil {
		old.Remove()
	}
	c.mu.Lock()
	delete(c.live, key)
	c.mu.Unlock()
}

// writeStatus writes the condition, generation, type and endpoint when
// they changed, on the latest version: counters may have moved it.
func (c *Controller) writeStatus(ctx context.Context, src *v1alpha1.ZenSource, v verdict) error {
	want := metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: v.reason, Message: v.message, ObservedGeneration: src.Generation}
	if v.ready {
		want.Status, want.Reason, want.Message = metav1.ConditionTrue, v1alpha1.ReasonReady, "in effect"
	}
	if want.Reason == "" {
		want.Reason = "Unknown"
	}
	typ, endpoint := v1alpha1.SourceTypeWatch, ""
	if src.Spec.Webhook != nil {
		typ, endpoint = v1alpha1.SourceTypeWebhook, EndpointPath(client.ObjectKeyFromObject(src))
	}
	for range 3 {
		cur := meta.FindStatusCondition(src.Status.Conditions, v1alpha1.ConditionReady)
		if src.Status.ObservedGeneration == src.Generation && src.Status.Type == typ && src.Status.Endpoint == endpoint &&
			cur != nil && cur.Status == want.Status && cur.Reason == want.Reason && cur.Message == want.Message && cur.ObservedGeneration == want.ObservedGeneration {
			return nil
		}
		c.opts.Log.Info("ZenSource status", "namespace", src.Namespace, "name", src.Name, "generation", src.Generation,
			"ready", string(want.Status), "reason", want.Reason, "message", want.Message)
		src.Status.ObservedGeneration, src.Status.Type, src.Status.Endpoint = src.Generation, typ, endpoint
		meta.SetStatusCondition(&src.Status.Conditions, want)
		err := c.opts.Direct.Status().Update(ctx, src)
		switch {
		case err == nil, apierrors.IsNotFound(err):
			return nil
		case !apierrors.IsConflict(err):
			return fmt.Errorf("writing the status of ZenSource %s/%s: %w", src.Namespace, src.Name, err)
		}
		fresh := &v1alpha1.ZenSource{}
		if err := c.opts.Direct.Get(ctx, client.ObjectKeyFromObject(src), fresh); err != nil {
			return client.IgnoreNotFound(err)
		}
		if fresh.Generation != src.Generation {
			return nil // a newer spec: its own reconcile writes
		}
		src = fresh
	}
	return errors.New("writing the status of ZenSource " + src.Namespace + "/" + src.Name + ": conflicts kept coming")
}

// secretErr turns a Secret read failure into a verdict, or returns it as
// transient.
func secretErr(err error) (verdict, error) {
	if reason, ok := secretref.Reason(err); ok {
		return notReady(reason, "%v", err), nil
	}
	return verdict{}, err
}
