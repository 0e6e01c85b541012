package trivy

import (
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

// checksPath is where a config audit report lists its checks.
const checksPath = "report.checks"

// ConfigAuditFindings builds one finding per failed check (success: false)
// of a ConfigAuditReport or ClusterConfigAuditReport whose severity is at
// or above min. The dedup key is namespace/kind/name/checkID: a check
// concerns the workload as a whole, so the container is not part of it.
// Passed checks, and an absent or empty list, yield nothing.
func ConfigAuditFindings(u *unstructured.Unstructured, min zenv1.Severity, now time.Time) (Result, error) {
	s, err := readSubject(u, min, now)
	if err != nil {
		return Result{}, err
	}
	d := &s.dec
	checks := d.list(s.report, "checks")
	if d.err != nil {
		return Result{}, d.err
	}
	r := Result{MissingLabels: s.missing}
	prefix := s.keyPrefix()
	for i, c := range checks {
		n := d.element(checksPath, i, c)
		success, present := d.boolean(n, "success")
		word := d.text(n, "severity")
		id := d.text(n, "checkID")
		details := map[string]any{
			"checkID":     id,
			"title":       d.text(n, "title"),
			"description": d.text(n, "description"),
			"remediation": d.text(n, "remediation"),
			"category":    d.text(n, "category"),
			"severity":    word,
		}
		if msgs := d.strings(n, "messages"); msgs != nil {
			details["messages"] = msgs
		}
		if d.err != nil {
			return Result{}, d.err
		}
		if success {
			continue
		}
		sev, known, keep := severity(word.(string), min)
		switch {
		case !known:
			r.UnknownSeverity++
			continue
		case !keep:
			continue
		case id == "" || !present:
			r.Skipped++
			continue
		}
		r.Findings = append(r.Findings, s.newFinding(EventTypeConfigAudit, sev, prefix+id.(string), details))
	}
	return r, nil
}
