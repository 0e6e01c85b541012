package checkov

import (
	"time"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// Identity of checkov findings.
const (
	// SourceName is the source label and object name prefix.
	SourceName = "checkov"
	// EventType is the event type of every checkov finding.
	EventType = "static-analysis"
)

// Findings builds one finding per failed check. The dedup key is
// check_id/resource as checkov printed it, so the same check failing on the
// same object in the next run is the same event.
func Findings(r Report, now time.Time) []finding.Finding {
	out := make([]finding.Finding, 0, len(r.Checks))
	for _, c := range r.Checks {
		details := map[string]any{
			"check_id":   c.CheckID,
			"check_name": c.CheckName,
			"guideline":  c.Guideline,
			"file_path":  c.FilePath,
			"framework":  c.Framework,
			"resource":   c.Resource,
		}
		if len(c.FileLineRange) > 0 {
			// A copy: details outlive the report and may be edited later.
			details["file_line_range"] = append([]int(nil), c.FileLineRange...)
		}
		out = append(out, finding.Finding{
			Source:     SourceName,
			Category:   zenv1.CategorySecurity,
			Severity:   severityOf(c),
			EventType:  EventType,
			Rule:       c.CheckID,
			Title:      c.CheckName,
			Resource:   resourceRef(c.Resource, c.Framework),
			Details:    details,
			DetectedAt: now,
			DedupKey:   c.CheckID + "/" + c.Resource,
		})
	}
	return out
}
