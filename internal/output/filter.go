package output

import (
	"fmt"

	"github.com/google/cel-go/cel"

	"github.com/kube-zen/zen-watcher/internal/celexpr"
)

// The filter's environment and limits are FILTER_EXPRESSION's (see
// internal/pipeline): a user writes one expression for both.
const (
	celCostLimit      = 100_000
	celInterruptEvery = 100
	celMaxExprLen     = 4096
	celVar            = "finding"
)

var (
	celFields         = []string{"category", "dedupKey", "detectedAt", "details", "eventType", "resolved", "resource", "rule", "severity", "source", "title"}
	celResourceFields = []string{"apiVersion", "kind", "name", "namespace"}
)

// compileFilter compiles a ZenOutput's spec.filter into a program that
// evaluates to bool; a member `finding` lacks is an error here, not on
// every evaluation.
func compileFilter(expr string) (cel.Program, error) {
	env, err := cel.NewEnv(
		cel.Variable(celVar, cel.MapType(cel.StringType, cel.DynType)),
		cel.ParserExpressionSizeLimit(celMaxExprLen),
	)
	if err != nil {
		return nil, fmt.Errorf("creating CEL environment: %w", err)
	}
	checked, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, fmt.Errorf("compiling filter %q: %w", expr, iss.Err())
	}
	if t := checked.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
		return nil, fmt.Errorf("filter %q evaluates to %s, want bool", expr, t)
	}
	if err := celexpr.Check(checked.NativeRep(), celexpr.Members{celVar: celFields, celVar + ".resource": celResourceFields}); err != nil {
		return nil, fmt.Errorf("filter %q: %w", expr, err)
	}
	prg, err := env.Program(checked, cel.CostLimit(celCostLimit), cel.InterruptCheckFrequency(celInterruptEvery))
	if err != nil {
		return nil, fmt.Errorf("building filter %q: %w", expr, err)
	}
	return prg, nil
}
