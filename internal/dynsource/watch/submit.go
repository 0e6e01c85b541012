package watch

import (
	"context"

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
	counters *counters
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
	c.counters.stored.Add(int64(n))
	return c.pipeline.Record(ctx, kept)
}
