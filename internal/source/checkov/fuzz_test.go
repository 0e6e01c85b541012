package checkov

import (
	"testing"

	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

func FuzzParse(f *testing.F) {
	fx.SeedFiles(f, single, multi)
	sourcetest.Seed(f, ``, `null`, `{}`, `[]`, `[null]`, `{"results":null}`, `{"checkov_version":"3"}`,
		`{"results":{"failed_checks":[{"check_id":"CKV_K8S_16","resource":"Pod.a.b.c","severity":"HIGH"}]}}`,
		`[{"check_type":"kubernetes","results":{"failed_checks":[{"resource":"/x"}]}}]`)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		if err != nil {
			sourcetest.CheckReason(t, err, source.ReasonInvalidJSON, source.ReasonUnknownShape, source.ReasonWrongType)
			return
		}
		fs := Findings(r, sourcetest.Now)
		if len(fs) != len(r.Checks) {
			t.Fatalf("%d findings for %d checks", len(fs), len(r.Checks))
		}
		for _, f := range fs {
			if err := sourcetest.CheckFinding(f); err != nil {
				t.Fatal(err)
			}
			if f.Details["check_id"] == "" {
				t.Fatalf("finding without a check id: %+v", f)
			}
		}
	})
}

func BenchmarkParse(b *testing.B) { sourcetest.BenchParse(b, fx.Read(b, multi), parseOnly) }

func BenchmarkParseLarge(b *testing.B) { sourcetest.BenchParse(b, hugeRun(20000), parseOnly) }

func parseOnly(data []byte) error { _, err := Parse(data); return err }

func BenchmarkFindings(b *testing.B) {
	r, err := Parse(hugeRun(1000))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		Findings(r, sourcetest.Now)
	}
}
