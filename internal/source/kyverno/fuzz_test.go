package kyverno

import (
	"runtime"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

func FuzzFindings(f *testing.F) {
	fx.SeedObjects(f, allFiles...)
	sourcetest.Seed(f, `null`, `{}`, `{"results":null}`, `{"results":"x"}`, `{"results":[null]}`, `{"scope":{}}`,
		`{"results":[{"policy":"a","result":"fail","resources":[{},{"kind":"Pod","name":"p"}]}]}`,
		`{"scope":{"kind":"Pod","name":"p"},"results":[{"result":"warn","severity":"x","timestamp":{"seconds":1e300}}]}`,
		`{"results":[{"result":"error","properties":{"a":"b"},"timestamp":{"seconds":-1e19}}]}`)
	results := []string{"fail", "warn", "error", "pass", "skip"}
	read := func(u *unstructured.Unstructured) (Result, error) { return Findings(u, results, sourcetest.Now) }
	f.Fuzz(func(t *testing.T, data []byte) {
		u, ok := sourcetest.ObjectOf(data)
		if !ok {
			return
		}
		r, err := read(u)
		if err != nil {
			sourcetest.CheckReason(t, err, source.ReasonWrongType, source.ReasonNoPayload)
			if r.Findings != nil {
				t.Fatalf("findings with an error: %+v", r)
			}
		}
		for _, f := range r.Findings {
			if err := sourcetest.CheckFinding(f); err != nil {
				t.Fatal(err)
			}
			if f.Resource == nil {
				t.Fatalf("finding without an object: %+v", f)
			}
		}
		sourcetest.SameAfterStrip(t, u, Strip, read, r, err)
	})
}

func BenchmarkFindings5000(b *testing.B) {
	u := generatedReport(b, 5000)
	results := []string{"fail", "warn", "error"}
	b.ReportAllocs()
	for b.Loop() {
		if r, err := Findings(u, results, sourcetest.Now); err != nil || len(r.Findings) != 3000 {
			b.Fatalf("%d findings, %v", len(r.Findings), err)
		}
	}
}

func BenchmarkStrip5000(b *testing.B) { sourcetest.BenchStrip(b, generatedReport(b, 5000), Strip) }

// BenchmarkCachedReport reports the heap one policy report of 50 results
// keeps alive, as decoded and after Strip.
func BenchmarkCachedReport(b *testing.B) {
	const reports, results = 50, 50
	for _, c := range []struct {
		name  string
		strip bool
	}{{"raw", false}, {"stripped", true}} {
		b.Run(c.name, func(b *testing.B) {
			var perReport float64
			for b.Loop() {
				before := heapInUse()
				kept := make([]any, reports)
				for i := range kept {
					kept[i] = generatedReport(b, results)
					if c.strip {
						kept[i], _ = Strip(kept[i])
					}
				}
				perReport = float64(heapInUse()-before) / reports
				runtime.KeepAlive(kept)
			}
			b.ReportMetric(perReport, "B/report")
		})
	}
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
