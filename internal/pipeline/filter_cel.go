package pipeline

import (
	"github.com/kube-zen/zen-watcher/internal/celexpr"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// celInput is what a filter expression sees as `finding`. resource is
// always present, with empty strings for a finding without one, so that
// finding.resource.namespace != "kube-system" holds for host findings
// instead of failing; details is an empty map when the finding has none.
func celInput(f *finding.Finding) *celexpr.Activation {
	var r [4]string
	if f.Resource != nil {
		r = [4]string{f.Resource.APIVersion, f.Resource.Kind, f.Resource.Name, f.Resource.Namespace}
	}
	details := f.Details
	if details == nil {
		details = map[string]any{}
	}
	return &celexpr.Activation{Name: celexpr.FindingVar, Value: map[string]any{
		"source":     f.Source,
		"category":   string(f.Category),
		"severity":   string(f.Severity),
		"eventType":  f.EventType,
		"rule":       f.Rule,
		"title":      f.Title,
		"dedupKey":   f.DedupKey,
		"detectedAt": f.DetectedAt,
		"details":    details,
		"resolved":   f.Resolved,
		"resource": map[string]any{
			"apiVersion": r[0],
			"kind":       r[1],
			"name":       r[2],
			"namespace":  r[3],
		},
	}}
}
