package clusterid

import (
	"context"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
)

// Namespace is the namespace whose UID names the cluster.
const Namespace = "kube-system"

// Resolver names the cluster, once: the configured name, or the UID read
// at the first call that succeeds.
type Resolver struct {
	configured string
	namespaces corev1client.NamespacesGetter

	mu   sync.Mutex
	name string
}

// New returns a resolver of configured (CLUSTER_NAME), or of the
// kube-system namespace's UID read through namespaces when it is empty.
func New(configured string, namespaces corev1client.NamespacesGetter) *Resolver {
	return &Resolver{configured: configured, namespaces: namespaces, name: configured}
}

// Name returns the cluster's name. A failed read is not remembered: the
// next call tries again.
func (r *Resolver) Name(ctx context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.name != "" {
		return r.name, nil
	}
	ns, err := r.namespaces.Namespaces().Get(ctx, Namespace, metav1.GetOptions{})
	switch {
	case apierrors.IsForbidden(err):
		return "", fmt.Errorf("naming this cluster by the UID of namespace %s: %w; set CLUSTER_NAME, or grant get on namespaces/%s", Namespace, err, Namespace)
	case err != nil:
		return "", fmt.Errorf("naming this cluster by the UID of namespace %s (or set CLUSTER_NAME): %w", Namespace, err)
	case ns.UID == "":
		return "", fmt.Errorf("namespace %s has no UID; set CLUSTER_NAME", Namespace)
	}
	r.name = string(ns.UID)
	return r.name, nil
}
