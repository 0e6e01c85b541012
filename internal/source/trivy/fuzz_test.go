package trivy

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source"
)

// addSeeds seeds a fuzz target with every fixture, as JSON, and odd shapes.
func addSeeds(f *testing.F) {
	for _, name := range []string{nginxVulns, corednsVulns, clusterVulns, corednsAudit, podAudit} {
		for _, u := range loadFixture(f, name) {
			data, err := json.Marshal(u.Object)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	for _, s := range []string{
		`null`, `{}`, `{"report":null}`, `{"report":"x"}`, `{"report":{"vulnerabilities":[null]}}`,
		`{"metadata":{"labels":{"trivy-operator.resource.kind":"Pod"}},"report":{"vulnerabilities":[{"vulnerabilityID":"A","severity":"HIGH","score":1e308}]}}`,
		`{"kind":"ClusterConfigAuditReport","report":{"checks":[{"checkID":"A","severity":"LOW","success":false,"messages":[]}]}}`,
		`{"report":{"updateTimestamp":"9999-12-31T23:59:59Z","artifact":{"repository":"a","digest":"d"},"vulnerabilities":[{"vulnerabilityID":"","severity":"x"}]}}`,
	} {
		f.Add([]byte(s))
	}
}

// fuzzRead checks the invariants of one reader on arbitrary JSON: no panic,
// a known error reason or findings that each have a key and a severity at
// or above the minimum, and the same outcome after Strip.
func fuzzRead(f *testing.F, read func(*unstructured.Unstructured, zenv1.Severity, time.Time) (Result, error)) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var m map[string]any
		if json.Unmarshal(data, &m) != nil {
			return
		}
		for _, min := range []zenv1.Severity{zenv1.SeverityInfo, zenv1.SeverityHigh} {
			u := &unstructured.Unstructured{Object: m}
			r, err := read(u, min, fixedTime)
			if err != nil {
				switch reason := source.ReasonOf(err); reason {
				case source.ReasonWrongType, source.ReasonNoPayload:
				default:
					t.Fatalf("unexpected reason %q: %v", reason, err)
				}
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
			s, _ := Strip(u)
			r2, err2 := read(s.(*unstructured.Unstructured), min, fixedTime)
			if (err == nil) != (err2 == nil) || !reflect.DeepEqual(r, r2) {
				t.Fatalf("Strip changed the outcome:\n%+v, %v\n%+v, %v", r, err, r2, err2)
			}
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
		r, err := VulnerabilityFindings(u, zenv1.SeverityInfo, fixedTime)
		if err != nil || len(r.Findings) != 5000 {
			b.Fatalf("%d findings, %v", len(r.Findings), err)
		}
	}
}

func BenchmarkStrip5000(b *testing.B) {
	u := generatedReport(b, 5000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		c := u.DeepCopy()
		b.StartTimer()
		if _, err := Strip(c); err != nil {
			b.Fatal(err)
		}
	}
}
