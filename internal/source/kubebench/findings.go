package kubebench

import (
	"strings"
	"time"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// Identity of kube-bench findings.
const (
	// SourceName is the source label and object name prefix.
	SourceName = "kube-bench"
	// EventType is the event type of every kube-bench finding.
	EventType = "cis-benchmark-fail"
)

// Findings builds one finding per result whose status is in statuses,
// compared without regard to case or surrounding space. The caller passes
// ["FAIL"], or ["FAIL", "WARN"] when KUBE_BENCH_RESULTS asks for warnings;
// no statuses means no findings.
//
// node is the Kubernetes node the run describes. It scopes the dedup key,
// node/version/test_number, so that two nodes failing the same check are
// two events, and it becomes the finding's resource. With an empty node
// the finding has no resource, and the key starts with "/".
func Findings(r Report, node string, statuses []string, now time.Time) []finding.Finding {
	var res *zenv1.ResourceRef
	if node != "" {
		res = &zenv1.ResourceRef{APIVersion: "v1", Kind: "Node", Name: node}
	}
	var out []finding.Finding
	for _, x := range r.Results {
		if !statusIn(x.Status, statuses) {
			continue
		}
		details := map[string]any{
			"test_number":       x.TestNumber,
			"test_desc":         x.TestDesc,
			"section":           x.Section,
			"remediation":       x.Remediation,
			"audit":             x.Audit,
			"actual_value":      x.ActualValue,
			"expected_result":   x.ExpectedResult,
			"benchmark_version": x.Version,
			"node_type":         x.NodeType,
			"status":            x.Status,
			"scored":            x.Scored,
		}
		if x.DetectedVersion != "" {
			details["detected_version"] = x.DetectedVersion
		}
		f := finding.Finding{
			Source:     SourceName,
			Category:   zenv1.CategoryCompliance,
			Severity:   finding.KubeBenchSeverity(x.Scored),
			EventType:  EventType,
			Rule:       x.TestNumber,
			Title:      x.TestDesc,
			Details:    details,
			DetectedAt: now,
			DedupKey:   node + "/" + x.Version + "/" + x.TestNumber,
		}
		if res != nil {
			// Each finding gets its own copy: later stages may edit one
			// finding's resource without touching its siblings.
			ref := *res
			f.Resource = &ref
		}
		out = append(out, f)
	}
	return out
}

func statusIn(status string, statuses []string) bool {
	status = strings.TrimSpace(status)
	for _, s := range statuses {
		if strings.EqualFold(status, strings.TrimSpace(s)) {
			return true
		}
	}
	return false
}
