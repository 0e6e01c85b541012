package sourcetest

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// BenchParse measures parse on data, with bytes per second and
// allocations.
func BenchParse(b *testing.B, data []byte, parse func([]byte) error) {
	b.Helper()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchStrip measures an informer transform on u, each time on a fresh
// copy made outside the timer, since the transform edits what it is given.
func BenchStrip(b *testing.B, u *unstructured.Unstructured, strip func(any) (any, error)) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		c := u.DeepCopy()
		b.StartTimer()
		if _, err := strip(c); err != nil {
			b.Fatal(err)
		}
	}
}
