package commands

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/cli/query"
)

// gvr is the ZenAgentEvent resource.
var gvr = schema.GroupVersionResource{Group: zenv1.GroupVersion.Group, Version: zenv1.GroupVersion.Version, Resource: zenv1.ZenAgentEventResource}

// found is one event as stored (for -o json and friends) and as typed (for
// filtering, sorting and tables).
type found struct {
	raw *unstructured.Unstructured
	ev  zenv1.ZenAgentEvent
}

func typed(u *unstructured.Unstructured) (zenv1.ZenAgentEvent, error) {
	var ev zenv1.ZenAgentEvent
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &ev); err != nil {
		return ev, fmt.Errorf("reading %s/%s: %w", u.GetNamespace(), u.GetName(), err)
	}
	return ev, nil
}

// list reads events: the label selector does what labels can, then the
// filter the rest, then the order.
func (o *Options) list(ctx context.Context, f *query.Filter, extraSelector, sortBy string) ([]found, error) {
	dc, err := o.dynamic()
	if err != nil {
		return nil, err
	}
	ns, err := o.namespace()
	if err != nil {
		return nil, err
	}
	sel, err := f.Selector()
	if err != nil {
		return nil, err
	}
	selector := sel.String()
	if extraSelector != "" {
		if selector != "" {
			selector += ","
		}
		selector += extraSelector
	}
	var out []found
	opts := metav1.ListOptions{LabelSelector: selector, Limit: 500}
	for {
		l, err := dc.Resource(gvr).Namespace(ns).List(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("listing findings: %w", err)
		}
		for i := range l.Items {
			u := &l.Items[i]
			ev, err := typed(u)
			if err != nil {
				return nil, err
			}
			if f.Match(&ev) {
				out = append(out, found{raw: u, ev: ev})
			}
		}
		if opts.Continue = l.GetContinue(); opts.Continue == "" {
			break
		}
	}
	evs := events(out)
	if err := query.Sort(evs, sortBy); err != nil {
		return nil, err
	}
	// Reorder out to follow evs: names are unique per namespace.
	byKey := make(map[string]found, len(out))
	for _, x := range out {
		byKey[x.ev.Namespace+"/"+x.ev.Name] = x
	}
	for i := range evs {
		out[i] = byKey[evs[i].Namespace+"/"+evs[i].Name]
	}
	return out, nil
}

// one reads a single event by name.
func (o *Options) one(ctx context.Context, name string) (found, error) {
	dc, err := o.dynamic()
	if err != nil {
		return found{}, err
	}
	ns, _, err := o.Config.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return found{}, err
	}
	u, err := dc.Resource(gvr).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return found{}, fmt.Errorf("reading finding %s/%s: %w", ns, name, err)
	}
	ev, err := typed(u)
	return found{raw: u, ev: ev}, err
}

func events(fs []found) []zenv1.ZenAgentEvent {
	out := make([]zenv1.ZenAgentEvent, len(fs))
	for i := range fs {
		out[i] = fs[i].ev
	}
	return out
}
