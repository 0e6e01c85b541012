package trivy

import (
	"bytes"
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

// The shared fixtures, by file name.
const (
	nginxVulns   = "vulnerabilityreport_nginx_docs.yaml"
	corednsVulns = "vulnerabilityreport_coredns_envtest.yaml"
	clusterVulns = "clustervulnerabilityreport_k8s_docs.yaml"
	corednsAudit = "configauditreport_coredns_envtest.yaml"
	podAudit     = "configauditreport_pod_envtest_expected.yaml"
)

var fx = sourcetest.Fixtures("trivy")

// generatedReport is a VulnerabilityReport with n entries as trivy-operator
// writes them, every member included (descriptions, links, CVSS), with
// managedFields and annotations, and severities cycling through the scale.
func generatedReport(tb testing.TB, n int) *unstructured.Unstructured {
	tb.Helper()
	var b bytes.Buffer
	b.WriteString(`{"apiVersion":"aquasecurity.github.io/v1alpha1","kind":"VulnerabilityReport",
	"metadata":{"name":"replicaset-big-7f9c-app","namespace":"shop","uid":"0b5c3e0e-1d1f-4c43-9a53-3f7a7f0c2b11",
	"resourceVersion":"123456","creationTimestamp":"2026-01-02T03:04:05Z",
	"annotations":{"trivy-operator.aquasecurity.github.io/report-ttl":"24h0m0s"},
	"labels":{"trivy-operator.resource.kind":"ReplicaSet","trivy-operator.resource.name":"big-7f9c",
	"trivy-operator.resource.namespace":"shop","trivy-operator.container.name":"app","resource-spec-hash":"6b5887445b"},
	"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"big-7f9c","uid":"aa345200-cf24-443a-8f11-ddb438ff8659","controller":true}],
	"managedFields":[{"apiVersion":"aquasecurity.github.io/v1alpha1","fieldsType":"FieldsV1","manager":"trivy-operator","operation":"Update",
	"time":"2026-01-02T03:04:05Z","fieldsV1":{"f:metadata":{"f:labels":{".":{},"f:trivy-operator.container.name":{}}},"f:report":{".":{},"f:artifact":{}}}}]},
	"report":{"artifact":{"repository":"shop/app","tag":"2.3.4"},"registry":{"server":"ghcr.io"},
	"os":{"family":"debian","name":"12.5"},"scanner":{"name":"Trivy","vendor":"Aqua Security","version":"0.50.0"},
	"summary":{"criticalCount":1,"highCount":1,"mediumCount":1,"lowCount":1,"unknownCount":1},
	"updateTimestamp":"2026-01-02T03:04:05Z","vulnerabilities":[`)
	sevs := []string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"}
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"vulnerabilityID":"CVE-2024-%05d","resource":"libssl%d","installedVersion":"3.0.11-1~deb12u2",
		"fixedVersion":"3.0.13-1~deb12u1","severity":%q,"score":7.5,"title":"openssl: excessive time spent checking DH keys %d",
		"primaryLink":"https://avd.aquasec.com/nvd/cve-2024-%05d",
		"description":"Issue summary: Checking excessively long DH keys or parameters may be very slow. Impact summary: Applications that use the functions DH_check(), DH_check_ex() or EVP_PKEY_param_check() to check a DH key or DH parameters may experience long delays. Where the key or parameters that are being checked have been obtained from an untrusted source this may lead to a Denial of Service.",
		"links":["https://access.redhat.com/security/cve/CVE-2024-%05d","https://nvd.nist.gov/vuln/detail/CVE-2024-%05d","https://www.openssl.org/news/secadv/20231106.txt"],
		"cvss":{"nvd":{"V3Score":7.5,"V3Vector":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"},"redhat":{"V3Score":5.3,"V3Vector":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L"}},
		"publishedDate":"2024-01-15T17:15:00Z","lastModifiedDate":"2024-05-01T17:15:00Z","target":"","class":"os-pkgs",
		"packageType":"debian","packagePURL":"pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12.5"}`,
			i, i%50, sevs[i%len(sevs)], i, i, i, i)
	}
	b.WriteString(`]}}`)
	return sourcetest.Object(tb, b.String())
}
