package watch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// Mapper turns one watched object, as the `object` variable, into its
// finding; keep is false when the mapping's filter drops the object. An
// error rejects this object only.
type Mapper interface {
	Map(ctx context.Context, object map[string]any) (f finding.Finding, keep bool, err error)
}

// MapperFunc adapts a function to Mapper.
type MapperFunc func(ctx context.Context, object map[string]any) (finding.Finding, bool, error)

// Map calls fn.
func (fn MapperFunc) Map(ctx context.Context, object map[string]any) (finding.Finding, bool, error) {
	return fn(ctx, object)
}

// mapped is what the informer keeps of one watched object: its identity,
// and what its current version maps to. The object itself is dropped as it
// enters the cache.
type mapped struct {
	metav1.TypeMeta
	metav1.ObjectMeta // name, namespace, uid and resourceVersion only

	// found holds the object's finding, or nothing when the filter dropped
	// it or the mapping failed.
	found []finding.Finding
	// dropped: the filter said false.
	dropped bool
	// err is why the mapping failed, or why its finding was refused.
	err error
	// at is when the version arrived: the default detection time.
	at time.Time
}

// DeepCopyObject returns a shallow copy: a mapped object is never changed
// once built.
func (m *mapped) DeepCopyObject() runtime.Object { c := *m; return &c }

// errOtherNamespace: a tenant's mapping named a resource elsewhere.
var errOtherNamespace = errors.New("the mapped resource is in another namespace")

// Reasons an object yields no finding, as the reason label of
// zen_watcher_source_errors_total.
const (
	reasonMapping        = "mapping-error"
	reasonOtherNamespace = "other-namespace"
)

// mapObject maps one watched object for src. The finding is completed
// the way a watch source's user expects: the source is the ZenSource's
// name, the resource defaults to the watched object, and the detection
// time to now. A tenant's finding must concern its own namespace: its
// event is written where its resource is, and must not leave the tenant.
func mapObject(ctx context.Context, src *Source, tenant bool, u *unstructured.Unstructured, now time.Time) *mapped {
	m := &mapped{ObjectMeta: metav1.ObjectMeta{
		Name: u.GetName(), Namespace: u.GetNamespace(), UID: u.GetUID(), ResourceVersion: u.GetResourceVersion(),
	}, at: now}
	f, keep, err := src.Mapper.Map(ctx, u.Object)
	switch {
	case err != nil:
		m.err = fmt.Errorf("mapping %s: %w", objectKey(u), err)
		return m
	case !keep:
		m.dropped = true
		return m
	}
	f.Source = src.Name
	if f.Resource == nil {
		f.Resource = &zenv1.ResourceRef{APIVersion: u.GetAPIVersion(), Kind: u.GetKind(), Name: u.GetName(), Namespace: u.GetNamespace()}
	}
	if f.DetectedAt.IsZero() {
		f.DetectedAt = now
	}
	if tenant && f.Resource.Namespace != src.Namespace {
		m.err = fmt.Errorf("%s: %w (%q): a source in namespace %s makes findings only about resources in %s",
			objectKey(u), errOtherNamespace, f.Resource.Namespace, src.Namespace, src.Namespace)
		return m
	}
	m.found = []finding.Finding{f}
	return m
}

// reason is the metric label for m's error.
func (m *mapped) reason() string {
	if errors.Is(m.err, errOtherNamespace) {
		return reasonOtherNamespace
	}
	return reasonMapping
}

// findings returns a copy of m's findings: the Watcher stamps their origin
// and the pipeline may change them, while m stays in the cache.
func (m *mapped) findings() []finding.Finding { return slices.Clone(m.found) }

func objectKey(u *unstructured.Unstructured) string {
	if ns := u.GetNamespace(); ns != "" {
		return u.GetKind() + " " + ns + "/" + u.GetName()
	}
	return u.GetKind() + " " + u.GetName()
}
