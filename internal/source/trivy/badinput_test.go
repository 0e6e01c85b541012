package trivy

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

// vulnReport is a small VulnerabilityReport around the given labels and
// report members, for odd-input tests.
func vulnReport(t *testing.T, labels, report string) *unstructured.Unstructured {
	return sourcetest.Object(t, `{"apiVersion":"aquasecurity.github.io/v1alpha1","kind":"VulnerabilityReport",
		"metadata":{"name":"r","namespace":"ns","labels":{`+labels+`}},"report":{`+report+`}}`)
}

const (
	allLabels = `"trivy-operator.resource.kind":"ReplicaSet","trivy-operator.resource.name":"web",
		"trivy-operator.resource.namespace":"shop","trivy-operator.container.name":"app"`
	oneVuln = `"vulnerabilities":[{"vulnerabilityID":"CVE-1","severity":"HIGH"}]`
)

func TestVulnerabilityLabels(t *testing.T) {
	cases := []struct {
		name, labels string
		key          string
		resource     *zenv1.ResourceRef
	}{
		{"all", allLabels, "shop/ReplicaSet/web/app/CVE-1",
			&zenv1.ResourceRef{Kind: "ReplicaSet", Name: "web", Namespace: "shop"}},
		{"no namespace label: the report's namespace",
			`"trivy-operator.resource.kind":"ReplicaSet","trivy-operator.resource.name":"web"`,
			"ns/ReplicaSet/web//CVE-1", &zenv1.ResourceRef{Kind: "ReplicaSet", Name: "web", Namespace: "ns"}},
		{"no kind", `"trivy-operator.resource.name":"web","trivy-operator.container.name":"app"`,
			"ns//web/app/CVE-1", nil},
		{"empty name", `"trivy-operator.resource.kind":"Pod","trivy-operator.resource.name":""`,
			"ns/Pod///CVE-1", nil},
		{"no labels at all", ``, "ns////CVE-1", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := VulnerabilityFindings(vulnReport(t, c.labels, oneVuln), zenv1.SeverityHigh, sourcetest.Now)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Findings) != 1 || r.MissingLabels != (c.resource == nil) {
				t.Fatalf("got %+v; want one finding, MissingLabels %v", r, c.resource == nil)
			}
			f := r.Findings[0]
			if f.DedupKey != c.key {
				t.Errorf("key %q; want %q", f.DedupKey, c.key)
			}
			if (f.Resource == nil) != (c.resource == nil) || (f.Resource != nil && *f.Resource != *c.resource) {
				t.Errorf("resource %+v; want %+v", f.Resource, c.resource)
			}
		})
	}
}

func TestClusterReportHasNoNamespace(t *testing.T) {
	u := vulnReport(t, allLabels, oneVuln)
	u.SetKind("ClusterVulnerabilityReport")
	u.SetNamespace("")
	r, err := VulnerabilityFindings(u, zenv1.SeverityHigh, sourcetest.Now)
	if err != nil {
		t.Fatal(err)
	}
	if f := r.Findings[0]; f.DedupKey != "/ReplicaSet/web/app/CVE-1" || f.Resource.Namespace != "" {
		t.Errorf("key %q, resource %+v; want no namespace", f.DedupKey, f.Resource)
	}
}

func TestVulnerabilityEmptyReports(t *testing.T) {
	cases := []struct{ name, report string }{
		{"empty list", `"vulnerabilities":[]`},
		{"null list", `"vulnerabilities":null`},
		{"no list", `"summary":{"criticalCount":0}`},
		{"empty report", ``},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := VulnerabilityFindings(vulnReport(t, allLabels, c.report), zenv1.SeverityInfo, sourcetest.Now)
			if err != nil || len(r.Findings) != 0 || r.Skipped != 0 || r.UnknownSeverity != 0 {
				t.Errorf("got %+v, %v; want a clean report", r, err)
			}
		})
	}
}

func TestVulnerabilitySeverityWords(t *testing.T) {
	// Trivy's own words, in any case, map; anything else is counted and
	// skipped, at every minimum, since it cannot be ranked.
	r, err := VulnerabilityFindings(vulnReport(t, allLabels, `"vulnerabilities":[
		{"vulnerabilityID":"A","severity":"CRITICAL"},{"vulnerabilityID":"B","severity":"high"},
		{"vulnerabilityID":"C","severity":" Medium "},{"vulnerabilityID":"D","severity":"LOW"},
		{"vulnerabilityID":"E","severity":"UNKNOWN"},{"vulnerabilityID":"F","severity":"SEVERE"},
		{"vulnerabilityID":"G","severity":""},{"vulnerabilityID":"H"},{"vulnerabilityID":"I","severity":"INFO"},
		{"severity":"CRITICAL"},{"vulnerabilityID":"","severity":"HIGH"},{"severity":"LOW"}]`),
		zenv1.SeverityInfo, sourcetest.Now)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.Details["vulnerabilityID"].(string)+"="+string(f.Severity))
	}
	want := "A=CRITICAL B=HIGH C=MEDIUM D=LOW E=INFO"
	if strings.Join(got, " ") != want || r.UnknownSeverity != 4 || r.Skipped != 3 {
		t.Errorf("got %v, unknown %d, skipped %d; want %s, 4, 3", got, r.UnknownSeverity, r.Skipped, want)
	}
}

func TestVulnerabilityHugeReport(t *testing.T) {
	const n = 5000
	u := generatedReport(t, n)
	for _, c := range []struct {
		min  zenv1.Severity
		want int
	}{{zenv1.SeverityCritical, n / 5}, {zenv1.SeverityHigh, 2 * n / 5}, {zenv1.SeverityInfo, n}} {
		r, err := VulnerabilityFindings(u, c.min, sourcetest.Now)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Findings) != c.want || r.Skipped != 0 || r.UnknownSeverity != 0 {
			t.Errorf("min %s: got %d findings (%d skipped, %d unknown); want %d", c.min, len(r.Findings), r.Skipped, r.UnknownSeverity, c.want)
		}
	}
}

func TestDetectedAt(t *testing.T) {
	created := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name, created, updated string
		want                   time.Time
	}{
		{"update timestamp", "2025-01-02T03:04:05Z", `"2025-06-07T08:09:10Z"`, time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)},
		{"fractional seconds", "", `"2025-06-07T08:09:10.5Z"`, time.Date(2025, 6, 7, 8, 9, 10, 5e8, time.UTC)},
		{"unparseable update: creation", "2025-01-02T03:04:05Z", `"yesterday"`, created},
		{"empty update: creation", "2025-01-02T03:04:05Z", `""`, created},
		{"neither: now", "", `null`, sourcetest.Now},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := vulnReport(t, allLabels, oneVuln+`,"updateTimestamp":`+c.updated)
			if c.created != "" {
				u.Object["metadata"].(map[string]any)["creationTimestamp"] = c.created
			}
			r, err := VulnerabilityFindings(u, zenv1.SeverityHigh, sourcetest.Now)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Findings[0].DetectedAt; !got.Equal(c.want) {
				t.Errorf("DetectedAt %v; want %v", got, c.want)
			}
		})
	}
}

func TestImage(t *testing.T) {
	cases := []struct{ name, report, want string }{
		{"full", `"registry":{"server":"ghcr.io"},"artifact":{"repository":"a/b","tag":"1"}`, "ghcr.io/a/b:1"},
		{"no registry", `"artifact":{"repository":"a/b","tag":"1"}`, "a/b:1"},
		{"digest", `"registry":{"server":"r.io"},"artifact":{"repository":"b","digest":"sha256:ab"}`, "r.io/b@sha256:ab"},
		{"tag wins over digest", `"artifact":{"repository":"b","tag":"2","digest":"sha256:ab"}`, "b:2"},
		{"neither tag nor digest", `"artifact":{"repository":"b"}`, "b"},
		{"no repository", `"registry":{"server":"r.io"},"artifact":{"tag":"2"}`, ""},
		{"no artifact", ``, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			report := oneVuln
			if c.report != "" {
				report += "," + c.report
			}
			r, err := VulnerabilityFindings(vulnReport(t, allLabels, report), zenv1.SeverityHigh, sourcetest.Now)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Findings[0].Details["image"]; got != c.want {
				t.Errorf("image %q; want %q", got, c.want)
			}
		})
	}
}

func TestWrongTypes(t *testing.T) {
	cases := []struct{ name, labels, report, path string }{
		{"report is a string", allLabels, ``, "report"},
		{"vulnerabilities is a string", allLabels, `"vulnerabilities":"none"`, "report.vulnerabilities"},
		{"vulnerabilities is an object", allLabels, `"vulnerabilities":{"a":1}`, "report.vulnerabilities"},
		{"entry is a number", allLabels, `"vulnerabilities":[1]`, "report.vulnerabilities[0]"},
		{"severity is a number", allLabels, `"vulnerabilities":[{"vulnerabilityID":"A","severity":3}]`, "report.vulnerabilities[0].severity"},
		{"id is a boolean", allLabels, `"vulnerabilities":[{"vulnerabilityID":true,"severity":"LOW"}]`, "report.vulnerabilities[0].vulnerabilityID"},
		{"score is a string", allLabels, `"vulnerabilities":[{"vulnerabilityID":"A","severity":"LOW"},{"vulnerabilityID":"B","severity":"LOW","score":"9.8"}]`, "report.vulnerabilities[1].score"},
		{"title is an array", allLabels, `"vulnerabilities":[{"vulnerabilityID":"A","severity":"LOW","title":["x"]}]`, "report.vulnerabilities[0].title"},
		{"below the minimum is still read", allLabels, `"vulnerabilities":[{"vulnerabilityID":"A","severity":"LOW","resource":7}]`, "report.vulnerabilities[0].resource"},
		{"artifact is a string", allLabels, `"artifact":"nginx"`, "report.artifact"},
		{"tag is a number", allLabels, `"artifact":{"repository":"a","tag":1.16}`, "report.artifact.tag"},
		{"registry server is an object", allLabels, `"registry":{"server":{}}`, "report.registry.server"},
		{"updateTimestamp is a number", allLabels, `"updateTimestamp":1700000000`, "report.updateTimestamp"},
		{"checks is a string", allLabels, `"checks":"none"`, "report.checks"},
		{"success is a string", allLabels, `"checks":[{"checkID":"A","severity":"LOW","success":"false"}]`, "report.checks[0].success"},
		{"messages is a string", allLabels, `"checks":[{"checkID":"A","severity":"LOW","success":false,"messages":"m"}]`, "report.checks[0].messages"},
		{"a message is a number", allLabels, `"checks":[{"checkID":"A","severity":"LOW","success":false,"messages":["m",2]}]`, "report.checks[0].messages[1]"},
		{"a label is a number", `"trivy-operator.resource.kind":7`, ``, "metadata.labels.trivy-operator.resource.kind"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := vulnReport(t, c.labels, c.report)
			if c.path == "report" {
				u.Object["report"] = "scanned"
			}
			_, errV := VulnerabilityFindings(u, zenv1.SeverityCritical, sourcetest.Now)
			_, errC := ConfigAuditFindings(u, zenv1.SeverityCritical, sourcetest.Now)
			err := errV
			if strings.HasPrefix(c.path, "report.checks") {
				err = errC
			} else if strings.HasPrefix(c.path, "report.vulnerabilities") || strings.HasPrefix(c.path, "report.artifact") || strings.HasPrefix(c.path, "report.registry") {
				if errC != nil {
					t.Errorf("ConfigAuditFindings read a member it has no use for: %v", errC)
				}
			} else if errC == nil {
				t.Errorf("ConfigAuditFindings accepted it")
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if reason := sourcetest.Reason(t, err); reason != source.ReasonWrongType {
				t.Errorf("reason %q; want %q", reason, source.ReasonWrongType)
			}
			if msg := err.Error(); !strings.Contains(msg, c.path+" is ") || !strings.Contains(msg, "trivy VulnerabilityReport ns/r") {
				t.Errorf("message %q should name the report and %s", msg, c.path)
			}
		})
	}
}

func TestNoObject(t *testing.T) {
	cases := []struct {
		name   string
		u      *unstructured.Unstructured
		reason string
	}{
		{"nil", nil, source.ReasonNoPayload},
		{"no content", &unstructured.Unstructured{}, source.ReasonNoPayload},
		{"empty content", &unstructured.Unstructured{Object: map[string]any{}}, ""},
		{"metadata only", &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{}}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, read := range []func(*unstructured.Unstructured, zenv1.Severity, time.Time) (Result, error){
				VulnerabilityFindings, ConfigAuditFindings,
			} {
				r, err := read(c.u, zenv1.SeverityInfo, sourcetest.Now)
				if c.reason == "" {
					if err != nil || len(r.Findings) != 0 || !r.MissingLabels {
						t.Errorf("got %+v, %v; want no findings, missing labels", r, err)
					}
					continue
				}
				if err == nil || sourcetest.Reason(t, err) != c.reason {
					t.Errorf("err %v; want reason %s", err, c.reason)
				}
			}
		})
	}
}

func TestMinimumOffTheScale(t *testing.T) {
	for _, min := range []zenv1.Severity{"", "SEVERE", "high"} {
		if _, err := VulnerabilityFindings(fx.One(t, nginxVulns), min, sourcetest.Now); err == nil {
			t.Errorf("minimum %q accepted", min)
		}
	}
}
