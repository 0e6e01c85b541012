package kubebench

import (
	"testing"

	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

func FuzzParse(f *testing.F) {
	fx.SeedFiles(f, withTotals, noTotals, fullRun)
	sourcetest.Seed(f, ``, `null`, `{}`, `[]`, `{"Controls":null}`, `[null]`, `{"Controls":"x"}`,
		`[{"version":"1.6","tests":[{"section":"1","results":[{"test_number":"1.1","status":"FAIL","scored":true}]}]}]`,
		`[{"tests":[{"results":[{"status":"FAIL"}]}]}]`)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		if err != nil {
			sourcetest.CheckReason(t, err, source.ReasonInvalidJSON, source.ReasonUnknownShape, source.ReasonWrongType)
			return
		}
		// Asking for every status that occurs must yield one finding per
		// result, each with a key.
		seen := map[string]bool{}
		var statuses []string
		for _, x := range r.Results {
			if x.TestNumber == "" {
				t.Fatalf("result without a test number escaped: %+v", x)
			}
			if !seen[x.Status] {
				seen[x.Status] = true
				statuses = append(statuses, x.Status)
			}
		}
		for _, node := range []string{"node-a", ""} {
			fs := Findings(r, node, statuses, sourcetest.Now)
			if len(fs) != len(r.Results) {
				t.Fatalf("%d findings for %d results", len(fs), len(r.Results))
			}
			for _, f := range fs {
				if err := sourcetest.CheckFinding(f); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	sourcetest.BenchParse(b, fx.Read(b, fullRun), func(data []byte) error { _, err := Parse(data); return err })
}

func BenchmarkFindings(b *testing.B) {
	r, err := Parse(fx.Read(b, fullRun))
	if err != nil {
		b.Fatal(err)
	}
	statuses := []string{"FAIL", "WARN"}
	b.ReportAllocs()
	for b.Loop() {
		Findings(r, "worker-1", statuses, sourcetest.Now)
	}
}
