package kyverno

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Strip is an informer transform (a cache.TransformFunc) for every policy
// report kind: it drops managedFields, annotations, the summary, and every
// member of a result or reference that Findings does not read. It changes
// the object in place, as transforms may, and is idempotent. It never
// fails: an object of an unexpected shape is left as it is, for Findings
// to refuse with a clear error, and anything that is not an
// *unstructured.Unstructured (a cache.DeletedFinalStateUnknown tombstone)
// passes through unchanged.
//
// Results are rebuilt rather than pruned in place: a Go map never shrinks,
// so deleting keys would keep the memory Strip exists to free.
func Strip(obj any) (any, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok || u == nil {
		return obj, nil
	}
	if md, ok := u.Object["metadata"].(map[string]any); ok {
		delete(md, "managedFields")
		delete(md, "annotations")
	}
	for k := range u.Object {
		switch k {
		case "apiVersion", "kind", "metadata", "scope", "results":
		default:
			delete(u.Object, k) // summary, scopeSelector, and the like
		}
	}
	ref := []string{"apiVersion", "kind", "name", "namespace"}
	if scope, ok := u.Object["scope"].(map[string]any); ok {
		u.Object["scope"] = pick(scope, ref)
	}
	results, ok := u.Object["results"].([]any)
	if !ok {
		return u, nil
	}
	kept := []string{"policy", "rule", "message", "source", "properties", "result",
		"category", "scored", "severity", "timestamp", "resources"}
	out := make([]any, len(results))
	for i, e := range results {
		out[i] = e
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		x := pick(m, kept)
		if list, ok := x["resources"].([]any); ok {
			refs := make([]any, len(list))
			for j, r := range list {
				refs[j] = r
				if rm, ok := r.(map[string]any); ok {
					refs[j] = pick(rm, ref)
				}
			}
			x["resources"] = refs
		}
		out[i] = x
	}
	u.Object["results"] = out
	return u, nil
}

// pick copies the members of m named in keys into a new map of just the
// right size.
func pick(m map[string]any, keys []string) map[string]any {
	out := make(map[string]any, len(keys))
	for _, k := range keys {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out
}
