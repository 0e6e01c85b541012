package pipeline

import (
	"context"
	"testing"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// FuzzFilterCompile feeds arbitrary expressions to the filter: building it
// must never panic, and a filter that builds must evaluate without panic.
func FuzzFilterCompile(f *testing.F) {
	for _, seed := range []string{
		exampleFilter,
		`finding.details.score > 5.0`,
		`has(finding.details.x) || finding.resolved`,
		`finding.detectedAt > timestamp("2020-01-01T00:00:00Z")`,
		`[1,2,3].all(x, [1,2,3].exists(y, x == y))`,
		`finding.source.matches("^(a+)+$")`,
		`finding.severity ==`,
		`"\xff"`,
		`(((((true)))))`,
	} {
		f.Add(seed)
	}
	withResource := finding.Finding{
		Source: "falco", Category: zenv1.CategorySecurity, Severity: zenv1.SeverityHigh, EventType: "runtime-security",
		DedupKey: "rule/pod", Resource: &zenv1.ResourceRef{Kind: "Pod", Name: "p", Namespace: "ns"},
		Details: map[string]any{"score": 7.5, "x": []any{"a", 1.0, map[string]any{"y": nil}}},
	}
	host := finding.Finding{Source: "kube-bench", Category: zenv1.CategoryCompliance, Severity: zenv1.SeverityLow, EventType: "cis-benchmark-fail", DedupKey: "1.1.1"}
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := NewFilterStage(config.BehaviorCustom, expr, nil)
		if err != nil {
			if s != nil {
				t.Error("a stage and an error")
			}
			return
		}
		s.Exec(context.Background(), []finding.Finding{withResource, host})
	})
}
