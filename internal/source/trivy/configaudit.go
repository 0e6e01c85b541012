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
	d := s.dec
	checks := d.List(s.report, "checks")
	if err := d.Err(); err != nil {
		return Result{}, err
	}
	r := Result{MissingLabels: s.missing}
	prefix := s.keyPrefix()
	for i, c := range checks {
		n := d.Element(checksPath, i, c)
		success, present := d.Bool(n, "success")
		word := d.Text(n, "severity")
		id := d.Text(n, "checkID")
		details := map[string]any{
			"checkID":     id,
			"title":       d.Text(n, "title"),
			"description": d.Text(n, "description"),
			"remediation": d.Text(n, "remediation"),
			"category":    d.Text(n, "category"),
			"severity":    word,
		}
		if msgs := d.Strings(n, "messages"); msgs != nil {
			details["messages"] = msgs
		}
		if err := d.Err(); err != nil {
			return Result{}, err
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
		r.Findings = append(r.Findings, s.newFinding(EventTypeConfigAudit, sev, prefix+id.(string), id.(string), title(details), details))
	}
	return r, nil
}
