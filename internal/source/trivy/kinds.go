package trivy

import (
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source/reports"
)

// Group and version of every Trivy Operator report.
var groupVersion = schema.GroupVersion{Group: "aquasecurity.github.io", Version: "v1alpha1"}

// Report resources read from Trivy Operator.
var (
	VulnerabilityReports        = groupVersion.WithResource("vulnerabilityreports")
	ClusterVulnerabilityReports = groupVersion.WithResource("clustervulnerabilityreports")
	ConfigAuditReports          = groupVersion.WithResource("configauditreports")
	ClusterConfigAuditReports   = groupVersion.WithResource("clusterconfigauditreports")
)

// Kinds are the Trivy report resources, reading entries at or above min.
func Kinds(min zenv1.Severity) []reports.Kind {
	vulns := func(u *unstructured.Unstructured, now time.Time) ([]finding.Finding, map[string]int, error) {
		return counted(VulnerabilityFindings(u, min, now))
	}
	audits := func(u *unstructured.Unstructured, now time.Time) ([]finding.Finding, map[string]int, error) {
		return counted(ConfigAuditFindings(u, min, now))
	}
	strip := StripBelow(min)
	return []reports.Kind{
		{Tool: SourceName, GVR: VulnerabilityReports, Namespaced: true, Read: vulns, Transform: strip},
		{Tool: SourceName, GVR: ClusterVulnerabilityReports, Read: vulns, Transform: strip},
		{Tool: SourceName, GVR: ConfigAuditReports, Namespaced: true, Read: audits, Transform: strip},
		{Tool: SourceName, GVR: ClusterConfigAuditReports, Read: audits, Transform: strip},
	}
}

// counted turns a Result's tallies into skip reasons for metrics and logs.
func counted(r Result, err error) ([]finding.Finding, map[string]int, error) {
	skipped := map[string]int{"skipped-entry": r.Skipped, "unknown-severity": r.UnknownSeverity}
	if r.MissingLabels {
		skipped["missing-labels"] = 1
	}
	return r.Findings, skipped, err
}
