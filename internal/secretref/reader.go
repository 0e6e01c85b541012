package secretref

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/utils/clock"

	"github.com/kube-zen/zen-watcher/api/v1alpha1"
)

// DefaultTTL is how long a read is reused. It bounds both the API cost
// (one GET per Secret per TTL, however many requests use it) and how long a
// rotated or revoked Secret keeps working.
const DefaultTTL = 5 * time.Second

// DefaultClusterRole is the ClusterRole the chart ships for tenants to bind.
const DefaultClusterRole = "zen-watcher-source-secrets"

// Error is a reference that cannot be resolved until someone changes the
// cluster: the Secret or key is missing, or zen-watcher may not read it.
// Reason is the Ready condition reason to show; Message says what to do.
type Error struct {
	Reason  string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Reason returns the Ready reason of err when it is an *Error; transient
// failures (a timeout, an unavailable API server) have none, and the caller
// should keep what it had and retry.
func Reason(err error) (string, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason, true
	}
	return "", false
}

// Reader resolves SecretKeyRefs. It is safe for concurrent use. Get may
// call the API server: call it from reconcilers, not once per request.
type Reader struct {
	client corev1client.SecretsGetter
	self   types.NamespacedName
	// ClusterRole is named in the hint of a SecretForbidden error.
	ClusterRole string
	// TTL is how long a read, or a failed read, is reused.
	TTL   time.Duration
	Clock clock.PassiveClock

	mu      sync.Mutex
	entries map[types.NamespacedName]entry
	sweep   time.Time
}

type entry struct {
	data map[string][]byte
	err  error
	at   time.Time
}

// NewReader returns a Reader using c. self is zen-watcher's ServiceAccount;
// it is only used to write the RoleBinding hint, and may be empty when the
// daemon does not run as a ServiceAccount.
func NewReader(c corev1client.SecretsGetter, self types.NamespacedName) *Reader {
	return &Reader{client: c, self: self, ClusterRole: DefaultClusterRole, TTL: DefaultTTL, Clock: clock.RealClock{}}
}

// Get returns the value of ref in namespace. The value is never empty: an
// empty key would turn into an empty credential.
func (r *Reader) Get(ctx context.Context, namespace string, ref v1alpha1.SecretKeyRef) ([]byte, error) {
	data, err := r.secret(ctx, types.NamespacedName{Namespace: namespace, Name: ref.Name})
	if err != nil {
		return nil, err
	}
	v, ok := data[ref.Key]
	if !ok {
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return nil, &Error{Reason: v1alpha1.ReasonSecretNotFound,
			Message: fmt.Sprintf("Secret %s/%s has no key %q (keys: %s)", namespace, ref.Name, ref.Key, strings.Join(keys, ", "))}
	}
	if len(v) == 0 {
		return nil, &Error{Reason: v1alpha1.ReasonSecretNotFound,
			Message: fmt.Sprintf("key %q of Secret %s/%s is empty", ref.Key, namespace, ref.Name)}
	}
	return slices.Clone(v), nil
}

// secret returns a Secret's data, from a read younger than TTL when there
// is one. Transient errors are not kept, so the next call tries again.
func (r *Reader) secret(ctx context.Context, key types.NamespacedName) (map[string][]byte, error) {
	now := r.Clock.Now()
	r.mu.Lock()
	if e, ok := r.entries[key]; ok && now.Sub(e.at) < r.TTL {
		r.mu.Unlock()
		return e.data, e.err
	}
	r.mu.Unlock()

	s, err := r.client.Secrets(key.Namespace).Get(ctx, key.Name, metav1.GetOptions{})
	var e entry
	switch {
	case err == nil:
		e = entry{data: s.Data}
	case apierrors.IsNotFound(err):
		e = entry{err: &Error{Reason: v1alpha1.ReasonSecretNotFound, Message: fmt.Sprintf("Secret %s/%s not found", key.Namespace, key.Name)}}
	case apierrors.IsForbidden(err):
		e = entry{err: &Error{Reason: v1alpha1.ReasonSecretForbidden, Message: r.forbidden(key)}}
	default:
		return nil, fmt.Errorf("reading Secret %s/%s: %w", key.Namespace, key.Name, err)
	}
	e.at = now
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.entries == nil {
		r.entries = map[types.NamespacedName]entry{}
	}
	r.entries[key] = e
	r.evict(now)
	return e.data, e.err
}

// evict drops reads no longer reused, so Secrets of deleted sources do not
// stay in memory. It runs at most once per TTL; r.mu is held.
func (r *Reader) evict(now time.Time) {
	if now.Sub(r.sweep) < r.TTL {
		return
	}
	r.sweep = now
	for k, e := range r.entries {
		if now.Sub(e.at) >= r.TTL {
			delete(r.entries, k)
		}
	}
}

// forbidden writes the message of a SecretForbidden error: the grant a
// tenant makes in its own namespace, as a command to run.
func (r *Reader) forbidden(key types.NamespacedName) string {
	subject := "--serviceaccount=<zen-watcher's namespace>:<zen-watcher's ServiceAccount>"
	if r.self.Name != "" {
		subject = "--serviceaccount=" + r.self.Namespace + ":" + r.self.Name
	}
	return fmt.Sprintf("zen-watcher may not get Secret %s/%s; grant it in that namespace with: kubectl -n %s create rolebinding %s --clusterrole=%s %s",
		key.Namespace, key.Name, key.Namespace, r.ClusterRole, r.ClusterRole, subject)
}
