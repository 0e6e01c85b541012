package trivy

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// Strip is an informer transform (a cache.TransformFunc) for the four
// report kinds this package reads: it drops managedFields, annotations and
// every report member the parsers do not read, so the cache holds a
// fraction of each report. It changes the object in place, as transforms
// may, and is idempotent. It never fails: an object of an unexpected shape
// is left as it is, for the parser to refuse with a clear error, and anything that is not an
// *unstructured.Unstructured (a cache.DeletedFinalStateUnknown tombstone)
// passes through unchanged.
//
// Entries are rebuilt rather than pruned in place: a Go map never shrinks,
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
	report, ok := u.Object["report"].(map[string]any)
	if !ok {
		return u, nil
	}
	// Exactly what the parsers read. The rest (descriptions, links, CVSS
	// vectors, dates, the summary, the scanner, the OS) is never read, and
	// is most of a large report.
	kept := pick(report, []string{"artifact", "registry", "updateTimestamp", "vulnerabilities", "checks"})
	pickEach(kept, "vulnerabilities", []string{"vulnerabilityID", "resource", "installedVersion",
		"fixedVersion", "title", "score", "primaryLink", "severity"})
	pickEach(kept, "checks", []string{"checkID", "title", "description", "messages", "remediation",
		"category", "severity", "success"})
	u.Object["report"] = kept
	return u, nil
}

// pickEach replaces the list m[key] by a copy whose objects hold only keys;
// items that are not objects stay as they are.
func pickEach(m map[string]any, key string, keys []string) {
	list, ok := m[key].([]any)
	if !ok {
		return
	}
	out := make([]any, len(list))
	for i, e := range list {
		out[i] = e
		if item, ok := e.(map[string]any); ok {
			out[i] = pick(item, keys)
		}
	}
	m[key] = out
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

// StripBelow is Strip that also drops the entries that can never become a
// finding: vulnerabilities and checks whose severity ranks below min, and
// checks that passed. Most entries of a typical report are LOW or MEDIUM,
// so with the default minimum the cache keeps a small part of each report.
// Entries with a severity word outside Trivy's scale are kept, so that
// they are still counted as unknown.
func StripBelow(min zenv1.Severity) func(obj any) (any, error) {
	return func(obj any) (any, error) {
		obj, _ = Strip(obj)
		u, ok := obj.(*unstructured.Unstructured)
		if !ok || u == nil {
			return obj, nil
		}
		if report, ok := u.Object["report"].(map[string]any); ok {
			keepEach(report, "vulnerabilities", func(e map[string]any) bool { return canFind(e, min) })
			keepEach(report, "checks", func(e map[string]any) bool { return e["success"] != true && canFind(e, min) })
		}
		return u, nil
	}
}

// canFind is false only for an entry whose known severity is below min.
func canFind(e map[string]any, min zenv1.Severity) bool {
	word, ok := e["severity"].(string)
	if !ok {
		return true // the parser reports the wrong type
	}
	sev, known := finding.TrivySeverity.Map(word)
	return !known || finding.Rank(sev) >= finding.Rank(min)
}

// keepEach replaces the list m[key] by the items keep accepts; items that
// are not objects stay, for the parser to refuse.
func keepEach(m map[string]any, key string, keep func(map[string]any) bool) {
	list, ok := m[key].([]any)
	if !ok {
		return
	}
	out := make([]any, 0, len(list))
	for _, e := range list {
		if item, ok := e.(map[string]any); !ok || keep(item) {
			out = append(out, e)
		}
	}
	m[key] = out
}
