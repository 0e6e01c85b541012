package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

var vulnerabilityReports = schema.GroupVersionResource{Group: "aquasecurity.github.io", Version: "v1alpha1", Resource: "vulnerabilityreports"}

// Shape of one made-up report: entries of about 1.7 KB (Trivy's long
// descriptions and links are most of a real report), a few of them HIGH,
// the rest LOW or MEDIUM, as in a typical image.
const (
	entriesPerReport = 600
	highPerReport    = 5
)

// vulnerabilityReport is report i in ns, about 1 MB serialized.
func vulnerabilityReport(ns string, i int) *unstructured.Unstructured {
	description := strings.Repeat("A flaw was found in the package's handling of crafted input, which may allow an attacker to cause a denial of service. ", 10)
	vulns := make([]any, entriesPerReport)
	for j := range vulns {
		sev := []string{"LOW", "MEDIUM"}[j%2]
		if j < highPerReport {
			sev = "HIGH"
		}
		vulns[j] = map[string]any{
			"vulnerabilityID": fmt.Sprintf("CVE-2026-%05d", j), "resource": fmt.Sprintf("lib%d", j%97), "installedVersion": "1.2.3-r0",
			"fixedVersion": "1.2.4-r0", "severity": sev, "title": "lib: denial of service through crafted input", "score": 5.5,
			"primaryLink": fmt.Sprintf("https://avd.aquasec.com/nvd/cve-2026-%05d", j), "description": description,
			"links":         []any{fmt.Sprintf("https://access.redhat.com/security/cve/CVE-2026-%05d", j), fmt.Sprintf("https://nvd.nist.gov/vuln/detail/CVE-2026-%05d", j)},
			"publishedDate": "2026-01-02T15:04:05Z", "lastModifiedDate": "2026-02-03T15:04:05Z",
		}
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "aquasecurity.github.io/v1alpha1", "kind": "VulnerabilityReport",
		"metadata": map[string]any{"name": fmt.Sprintf("replicaset-app-%d-main", i), "namespace": ns, "labels": map[string]any{
			"trivy-operator.resource.kind": "ReplicaSet", "trivy-operator.resource.name": fmt.Sprintf("app-%d", i),
			"trivy-operator.resource.namespace": ns, "trivy-operator.container.name": "main"}},
		"report": map[string]any{
			"artifact":        map[string]any{"repository": "library/app", "tag": fmt.Sprintf("1.%d", i)},
			"registry":        map[string]any{"server": "index.docker.io"},
			"scanner":         map[string]any{"name": "Trivy", "vendor": "Aqua Security", "version": "0.58.0"},
			"summary":         map[string]any{"criticalCount": 0, "highCount": highPerReport, "mediumCount": (entriesPerReport - highPerReport) / 2},
			"updateTimestamp": time.Now().UTC().Format(time.RFC3339),
			"vulnerabilities": vulns,
		},
	}}
	return u
}

// createReports creates n reports in ns with 4 workers and returns their
// average serialized size in bytes.
func createReports(ctx context.Context, c *cluster, ns string, n int) (int, error) {
	dc, err := dynamic.NewForConfig(c.rest)
	if err != nil {
		return 0, err
	}
	probe, err := vulnerabilityReport(ns, 0).MarshalJSON()
	if err != nil {
		return 0, err
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	const workers = 4
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				if _, err := dc.Resource(vulnerabilityReports).Namespace(ns).Create(ctx, vulnerabilityReport(ns, i), metav1.CreateOptions{}); err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("creating report %d: %w", i, err)
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return len(probe), first
}
