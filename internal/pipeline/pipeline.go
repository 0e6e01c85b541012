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

// Submit runs findings through every stage and records them: Prepare, then
// Record.
func (p *Pipeline) Submit(ctx context.Context, findings ...finding.Finding) error {
	return p.Record(ctx, p.Prepare(ctx, findings))
}

// Prepare runs the stages before the aggregator (normalize, filter) and
// returns the findings that go on. It never waits, so a webhook handler
// runs it on its own goroutine, in parallel with other requests, and
// buffers only what will be recorded.
func (p *Pipeline) Prepare(ctx context.Context, findings []finding.Finding) []finding.Finding {
	return p.stages.Exec(ctx, findings)
}

// TryRecord records prepared findings without waiting, or refuses them
// all, recording nothing, with ErrBusy while the write queue is full.
func (p *Pipeline) TryRecord(findings []finding.Finding) error {
	if len(findings) == 0 {
		return nil
	}
	return p.sink.TryAdd(findings)
}

// Record hands prepared findings to the aggregator. It returns once they
// are recorded: new events are queued for writing, repeats await the next
// flush. It blocks while the write queue is full and fails only when ctx
// ends first, or once the aggregator is closed.
func (p *Pipeline) Record(ctx context.Context, findings []finding.Finding) error {
	if len(findings) == 0 {
		return nil
	}
	return p.sink.Add(ctx, findings)
}
