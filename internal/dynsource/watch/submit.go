package watch

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/kube-zen/zen-watcher/internal/finding"
)

// Pipeline is where findings go, in the pipeline's two steps, so that the
// runner counts what goes on to be stored; *pipeline.Pipeline is one.
type Pipeline interface {
	Prepare(ctx context.Context, findings []finding.Finding) []finding.Finding
	Record(ctx context.Context, findings []finding.Finding) error
}

// countingSubmitter submits to the pipeline and counts, as stored, the
// findings that pass its stages (resolutions apart).
type countingSubmitter struct {
	pipeline Pipeline
	key      types.NamespacedName
	counter  Counter
}

// Submit implements source.Submitter.
func (c *countingSubmitter) Submit(ctx context.Context, findings ...finding.Finding) error {
	kept := c.pipeline.Prepare(ctx, findings)
	n := 0
	for _, f := range kept {
		if !f.Resolved {
			n++
		}
	}
	if n > 0 {
		c.counter.Add(c.key, 0, int64(n), 0, time.Time{})
	}
	return c.pipeline.Record(ctx, kept)
}
