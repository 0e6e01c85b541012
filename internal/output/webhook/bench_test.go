package webhook

import (
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/output"
)

// BenchmarkBodies100 encodes a batch of 100 findings (the engine's largest)
// as CloudEvents, batched.
func BenchmarkBodies100(b *testing.B) {
	n := newNotifier(b, "http://hub.invalid", func(c *Config) { c.Batch = true })
	var batch []output.Delivery
	for range 100 {
		batch = append(batch, output.Delivery{Event: finding("trivy-1", zenv1.SeverityHigh), Trigger: output.TriggerCreated})
	}
	b.ReportAllocs()
	var size int
	for b.Loop() {
		events := make([]cloudevents.Event, 0, len(batch))
		for _, d := range batch {
			e, err := Event("cluster-a", d)
			if err != nil {
				b.Fatal(err)
			}
			events = append(events, e)
		}
		bodies, err := n.bodies(events)
		if err != nil {
			b.Fatal(err)
		}
		size = len(bodies[0].data)
	}
	b.ReportMetric(float64(size)/100, "bytes/event")
}
