package pipeline

import (
	"context"

	"github.com/kube-zen/zen-watcher/internal/finding"
)

// Stage is one step of the pipeline. It returns the findings that go on to
// the next stage; a finding it drops is counted in its metrics, never lost
// silently. Stages are safe for concurrent use.
type Stage interface {
	Exec(ctx context.Context, findings []finding.Finding) []finding.Finding
}

// StageFunc adapts a function to Stage.
type StageFunc func(ctx context.Context, findings []finding.Finding) []finding.Finding

// Exec calls f.
func (f StageFunc) Exec(ctx context.Context, findings []finding.Finding) []finding.Finding {
	return f(ctx, findings)
}

// MultiStage runs stages in order, stopping early when nothing is left.
type MultiStage []Stage

// Exec runs each stage on what the previous one returned.
func (ms MultiStage) Exec(ctx context.Context, findings []finding.Finding) []finding.Finding {
	for _, s := range ms {
		if len(findings) == 0 {
			return nil
		}
		findings = s.Exec(ctx, findings)
	}
	return findings
}
