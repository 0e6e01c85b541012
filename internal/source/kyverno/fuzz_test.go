package kyverno

import (
	"encoding/json"
	"reflect"
	"runtime"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source"
)

func FuzzFindings(f *testing.F) {
	for _, name := range allFiles {
		for _, u := range loadFixture(f, name) {
			data, err := json.Marshal(u.Object)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	for _, s := range []string{
		`null`, `{}`, `{"results":null}`, `{"results":"x"}`, `{"results":[null]}`, `{"scope":{}}`,
		`{"results":[{"policy":"a","result":"fail","resources":[{},{"kind":"Pod","name":"p"}]}]}`,
		`{"scope":{"kind":"Pod","name":"p"},"results":[{"result":"warn","severity":"x","timestamp":{"seconds":1e300}}]}`,
		`{"results":[{"result":"error","properties":{"a":"b"},"timestamp":{"seconds":-1e19}}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var m map[string]any
		if json.Unmarshal(data, &m) != nil {
			return
		}
		u := &unstructured.Unstructured{Object: m}
		results := []string{"fail", "warn", "error", "pass", "skip"}
		r, err := Findings(u, results, fixedTime)
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
			if f.DedupKey == "" || f.Resource == nil || f.Resource.Kind == "" || f.Resource.Name == "" {
				t.Fatalf("finding without a key or an object: %+v", f)
			}
			if finding.Rank(f.Severity) < 0 {
				t.Fatalf("severity %q off the scale", f.Severity)
			}
			if y := f.DetectedAt.Year(); y < 1 || y > 9999 {
				t.Fatalf("DetectedAt %v cannot be written", f.DetectedAt)
			}
		}
		s, _ := Strip(u)
		r2, err2 := Findings(s.(*unstructured.Unstructured), results, fixedTime)
		if (err == nil) != (err2 == nil) || !reflect.DeepEqual(r, r2) {
			t.Fatalf("Strip changed the outcome:\n%+v, %v\n%+v, %v", r, err, r2, err2)
		}
	})
}

func BenchmarkFindings5000(b *testing.B) {
	u := generatedReport(b, 5000)
	results := []string{"fail", "warn", "error"}
	b.ReportAllocs()
	for b.Loop() {
		if r, err := Findings(u, results, fixedTime); err != nil || len(r.Findings) != 3000 {
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
