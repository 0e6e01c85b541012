package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/celexpr"
	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// FilterStage keeps the findings that BEHAVIOR_MODE (and, in custom mode,
// FILTER_EXPRESSION) selects for storage. Resolutions always pass: resolving
// an event that was never stored is harmless, while filtering out a
// resolution would leave a stale Open event behind.
type FilterStage struct {
	mode    config.BehaviorMode
	program cel.Program // only in custom mode
	metrics *Metrics
}

// NewFilterStage builds the filter for mode. In custom mode expression is
// compiled now, so a bad expression fails at startup with the compiler's
// message rather than on every finding; in other modes it must be empty.
// m nil means unregistered collectors.
func NewFilterStage(mode config.BehaviorMode, expression string, m *Metrics) (*FilterStage, error) {
	if m == nil {
		m = NewMetrics(nil)
	}
	s := &FilterStage{mode: mode, metrics: m}
	switch mode {
	case config.BehaviorAll, config.BehaviorConservative, config.BehaviorSecurityOnly:
		if expression != "" {
			return nil, fmt.Errorf("filter expression %q given with behavior mode %q: it is only used in mode %q", expression, mode, config.BehaviorCustom)
		}
	case config.BehaviorCustom:
		if expression == "" {
			return nil, errors.New("behavior mode custom needs a filter expression")
		}
		prg, err := celexpr.CompileFindingFilter(expression)
		if err != nil {
			return nil, err
		}
		s.program = prg
	default:
		return nil, fmt.Errorf("unknown behavior mode %q", mode)
	}
	return s, nil
}

// Exec returns the findings the filter keeps, in order, in a new slice (in
// mode all, findings itself). ctx bounds expression evaluation: once it is
// done, a long evaluation is interrupted and its finding counted as a
// filter error, so give a draining pipeline a live context.
func (s *FilterStage) Exec(ctx context.Context, findings []finding.Finding) []finding.Finding {
	if s.mode == config.BehaviorAll {
		return findings
	}
	if ctx == nil {
		ctx = context.Background()
	}
	out := make([]finding.Finding, 0, len(findings))
	for i := range findings {
		f := &findings[i]
		if reason := s.reject(ctx, f); reason != "" {
			s.metrics.FindingsFiltered.WithLabelValues(f.Source, reason).Inc()
			continue
		}
		out = append(out, *f)
	}
	return out
}

// reject returns why f is kept out, or "" to keep it.
func (s *FilterStage) reject(ctx context.Context, f *finding.Finding) string {
	if f.Resolved {
		return ""
	}
	switch s.mode {
	case config.BehaviorConservative:
		if f.Severity != zenv1.SeverityCritical && f.Severity != zenv1.SeverityHigh {
			return reasonBehaviorMode
		}
	case config.BehaviorSecurityOnly:
		if f.Category != zenv1.CategorySecurity {
			return reasonBehaviorMode
		}
	case config.BehaviorCustom:
		return s.evaluate(ctx, f)
	}
	return ""
}

// evaluate runs the expression on f. Any failure (a missing details key, a
// non-bool result, the cost limit, cancellation) drops the finding as a
// filter error: storing what the user's filter could not judge would be
// the surprising choice.
func (s *FilterStage) evaluate(ctx context.Context, f *finding.Finding) string {
	val, _, err := s.program.ContextEval(ctx, celInput(f))
	if err != nil {
		return reasonFilterError
	}
	switch val {
	case types.True:
		return ""
	case types.False:
		return reasonFilterExpression
	}
	return reasonFilterError
}
