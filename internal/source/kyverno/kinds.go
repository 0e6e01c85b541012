package kyverno

import (
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source/reports"
)

// Policy report resources: the wg-policy API Kyverno writes, and its
// successor, Open Reports, when installed.
var (
	PolicyReports        = schema.GroupVersionResource{Group: "wgpolicyk8s.io", Version: "v1alpha2", Resource: "policyreports"}
	ClusterPolicyReports = schema.GroupVersionResource{Group: "wgpolicyk8s.io", Version: "v1alpha2", Resource: "clusterpolicyreports"}
	Reports              = schema.GroupVersionResource{Group: "openreports.io", Version: "v1alpha1", Resource: "reports"}
	ClusterReports       = schema.GroupVersionResource{Group: "openreports.io", Version: "v1alpha1", Resource: "clusterreports"}
)

// Kinds are the policy report resources; results are the result values
// (fail, warn, error) that become findings.
func Kinds(results []string) []reports.Kind {
	read := func(u *unstructured.Unstructured, now time.Time) ([]finding.Finding, map[string]int, error) {
		r, err := Findings(u, results, now)
		return r.Findings, map[string]int{"no-resource": r.NoResource, "unknown-severity": r.UnknownSeverity}, err
	}
	return []reports.Kind{
		{Tool: SourceName, GVR: PolicyReports, Namespaced: true, Read: read, Transform: Strip},
		{Tool: SourceName, GVR: ClusterPolicyReports, Read: read, Transform: Strip},
		{Tool: SourceName, GVR: Reports, Namespaced: true, Read: read, Transform: Strip},
		{Tool: SourceName, GVR: ClusterReports, Read: read, Transform: Strip},
	}
}
