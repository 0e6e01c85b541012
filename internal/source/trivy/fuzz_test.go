package trivy

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

// fuzzRead checks the invariants of one reader on arbitrary JSON: no panic,
// a known error reason or findings that each have a key and a severity at
// or above the minimum, and the same outcome after Strip. Every fixture,
// as JSON, and odd shapes are the seeds.
func fuzzRead(f *testing.F, read func(*unstructured.Unstructured, zenv1.Severity, time.Time) (Result, error)) {
	fx.SeedObjects(f, nginxVulns, corednsVulns, clusterVulns, corednsAudit, podAudit)
	sourcetest.Seed(f, `null`, `{}`, `{"report":null}`, `{"report":"x"}`, `{"report":{"vulnerabilities":[null]}}`,
		`{"metadata":{"labels":{"trivy-operator.resource.kind":"Pod"}},"report":{"vulnerabilities":[{"vulnerabilityID":"A","severity":"HIGH","score":1e308}]}}`,
		`{"kind":"ClusterConfigAuditReport","report":{"checks":[{"checkID":"A","severity":"LOW","success":false,"messages":[]}]}}`,
		`{"report":{"updateTimestamp":"9999-12-31T23:59:59Z","artifact":{"repository":"a","digest":"d"},"vulnerabilities":[{"vulnerabilityID":"","severity":"x"}]}}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		u, ok := sourcetest.ObjectOf(data)
		if !ok {
			return
		}
		for _, min := range []zenv1.Severity{zenv1.SeverityInfo, zenv1.SeverityHigh} {
			readMin := func(u *unstructured.Unstructured) (Result, error) { return read(u, min, sourcetest.Now) }
			r, err := readMin(u)
			if err != nil {
				sourcetest.CheckReason(t, err, source.ReasonWrongType, source.ReasonNoPayload)
				if r.Findings != nil {
					t.Fatalf("findings with an error: %+v", r)
				}
			}
			for _, f := range r.Findings {
				if f.DedupKey == "" {
					t.Fatalf("empty dedup key: %+v", f)
				}
				if finding.Rank(f.Severity) < finding.Rank(min) {
					t.Fatalf("severity %q below %s", f.Severity, min)
				}
			}
			sourcetest.SameAfterStrip(t, u, Strip, readMin, r, err)
		}
	})
}

func FuzzVulnerabilityFindings(f *testing.F) { fuzzRead(f, VulnerabilityFindings) }

func FuzzConfigAuditFindings(f *testing.F) { fuzzRead(f, ConfigAuditFindings) }

func BenchmarkVulnerabilityReport5000(b *testing.B) {
	// Every entry becomes a finding: the worst case.
	u := generatedReport(b, 5000)
	b.ReportAllocs()
	for b.Loop() {
		r, err := VulnerabilityFindings(u, zenv1.SeverityInfo, sourcetest.Now)
		if err != nil || len(r.Findings) != 5000 {
			b.Fatalf("%d findings, %v", len(r.Findings), err)
		}
	}
}

func BenchmarkStrip5000(b *testing.B) { sourcetest.BenchStrip(b, generatedReport(b, 5000), Strip) }
