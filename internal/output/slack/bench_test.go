package slack

import (
	"encoding/json"
	"testing"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/output"
)

// BenchmarkMessage500 builds and encodes the one message of a burst of 500.
func BenchmarkMessage500(b *testing.B) {
	var batch []output.Delivery
	for i := range 500 {
		batch = append(batch, delivery(i, zenv1.SeverityHigh, output.TriggerCreated))
	}
	b.ReportAllocs()
	var size int
	for b.Loop() {
		raw, err := json.Marshal(Message("cluster-a", batch))
		if err != nil {
			b.Fatal(err)
		}
		size = len(raw)
	}
	b.ReportMetric(float64(size), "bytes/msg")
}
