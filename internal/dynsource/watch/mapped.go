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
	"github.com/kube-zen/zen-watcher/internal/mapping"
)

// Mapper turns one watched object, the `object` variable, into its
// finding for src; keep is false when the mapping's filter drops the
// object, and an error rejects this object only. *mapping.Program is one:
// it names the finding after the source, prefixes its dedup key with the
// source's namespace and name, and confines a tenant's findings to its
// namespace.
type Mapper interface {
	Map(ctx context.Context, object any, src mapping.Source) (f finding.Finding, keep bool, err error)
}

// MapperFunc adapts a function to Mapper.
type MapperFunc func(ctx context.Context, object any, src mapping.Source) (finding.Finding, bool, error)

// Map calls fn.
func (fn MapperFunc) Map(ctx context.Context, object any, src mapping.Source) (finding.Finding, bool, error) {
	return fn(ctx, object, src)
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

// mapObject maps one watched object for src. A finding with no resource
// concerns the watched object itself, and a source that may write anywhere
// writes it in that object's namespace, as the mapping would have done
// with the resource named.
func mapObject(ctx context.Context, src *Source, tenant bool, u *unstructured.Unstructured, now time.Time) *mapped {
	m := &mapped{ObjectMeta: metav1.ObjectMeta{
		Name: u.GetName(), Namespace: u.GetNamespace(), UID: u.GetUID(), ResourceVersion: u.GetResourceVersion(),
	}, at: now}
	f, keep, err := src.Mapper.Map(ctx, u.Object, mapping.Source{Namespace: src.Namespace, Name: src.Name, AnyNamespace: !tenant})
	switch {
	case err != nil:
		m.err = fmt.Errorf("%s: %w", objectKey(u), err)
		return m
	case !keep:
		m.dropped = true
		return m
	}
	if f.Resource == nil {
		f.Resource = &zenv1.ResourceRef{APIVersion: u.GetAPIVersion(), Kind: u.GetKind(), Name: u.GetName(), Namespace: u.GetNamespace()}
		if !tenant && u.GetNamespace() != "" {
			f.EventNamespace = u.GetNamespace()
		}
	}
	if f.DetectedAt.IsZero() {
		f.DetectedAt = now
	}
	m.found = []finding.Finding{f}
	return m
}

// reason is the metric label for m's error: the mapping's reason.
func (m *mapped) reason() string {
	var me *mapping.Error
	if errors.As(m.err, &me) {
		return me.Reason
	}
	return mapping.ReasonEval
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
