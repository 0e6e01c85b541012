package pipeline

import (
	"context"

	"github.com/kube-zen/zen-watcher/internal/finding"
)

// Pipeline is what sources submit findings to: its stages in order, then
// the aggregator, which hands writes to the store.
type Pipeline struct {
	stages MultiStage
	sink   *Aggregator
}

// New assembles a pipeline.
func New(sink *Aggregator, stages ...Stage) *Pipeline {
	return &Pipeline{stages: stages, sink: sink}
}

// Submit runs findings through every stage. It returns once they are
// recorded: new events are queued for writing, repeats await the next
// flush. It blocks while the write queue is full and fails only when ctx
// ends first, so a webhook can answer 503 instead of waiting forever.
func (p *Pipeline) Submit(ctx context.Context, findings ...finding.Finding) error {
	return p.sink.Add(ctx, p.stages.Exec(ctx, findings))
}
