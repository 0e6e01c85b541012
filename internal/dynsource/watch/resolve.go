package watch

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"
)

// resolver finds the resource of a kind through discovery. It caches what
// discovery said, and asks again on a miss, so that a CRD installed after
// the source was declared is found; at most once per minReset, so that
// many sources naming a kind that does not exist do not keep the API
// server answering discovery.
type resolver struct {
	mapper   *restmapper.DeferredDiscoveryRESTMapper
	minReset time.Duration
	now      func() time.Time

	mu        sync.Mutex
	lastReset time.Time
}

func newResolver(disc discovery.DiscoveryInterface, minReset time.Duration, now func() time.Time) *resolver {
	return &resolver{mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc)), minReset: minReset, now: now}
}

// resolve maps apiVersion and kind to their resource and scope. The error
// is a meta.NoKindMatchError when the API server does not serve the kind.
func (r *resolver) resolve(ctx context.Context, apiVersion, kind string) (*meta.RESTMapping, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, &meta.NoKindMatchError{GroupKind: schema.GroupKind{Kind: kind}, SearchedVersions: []string{apiVersion}}
	}
	gk := schema.GroupKind{Group: gv.Group, Kind: kind}
	m, err := r.mapper.RESTMappingWithContext(ctx, gk, gv.Version)
	if err != nil && meta.IsNoMatchError(err) && r.mayReset() {
		r.mapper.ResetWithContext(ctx)
		m, err = r.mapper.RESTMappingWithContext(ctx, gk, gv.Version)
	}
	if err != nil {
		return nil, fmt.Errorf("resolving %s %s: %w", apiVersion, kind, err)
	}
	return m, nil
}

// invalidate makes the next resolve ask discovery again: a watched kind
// has gone.
func (r *resolver) invalidate(ctx context.Context) {
	r.mu.Lock()
	r.lastReset = r.now()
	r.mu.Unlock()
	r.mapper.ResetWithContext(ctx)
}

func (r *resolver) mayReset() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if now.Sub(r.lastReset) < r.minReset {
		return false
	}
	r.lastReset = now
	return true
}
