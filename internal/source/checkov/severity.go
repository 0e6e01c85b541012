package checkov

import (
	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// highRiskChecks are the Kubernetes checks rated HIGH when checkov gives no
// severity of its own: each failure widens what a compromised container can
// do to its node. Every other check without a severity is MEDIUM. The
// README's severity tables should show this fallback; keep the two in step.
// Read only.
var highRiskChecks = map[string]string{
	"CKV_K8S_16": "privileged container",
	"CKV_K8S_17": "hostPID",
	"CKV_K8S_18": "hostIPC",
	"CKV_K8S_19": "hostNetwork",
	"CKV_K8S_20": "allowPrivilegeEscalation",
	"CKV_K8S_23": "root containers",
	"CKV_K8S_27": "docker socket mounted",
	"CKV_K8S_39": "CAP_SYS_ADMIN",
}

// severityOf prefers checkov's own severity; a word checkov might add later
// falls back to the table rather than failing the whole report.
func severityOf(c FailedCheck) zenv1.Severity {
	if c.Severity != "" {
		if s, ok := finding.CheckovSeverity.Map(c.Severity); ok {
			return s
		}
	}
	if _, ok := highRiskChecks[c.CheckID]; ok {
		return zenv1.SeverityHigh
	}
	return zenv1.SeverityMedium
}
