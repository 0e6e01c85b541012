package output

import (
	"fmt"

	"github.com/google/cel-go/cel"

	"github.com/kube-zen/zen-watcher/internal/celexpr"
)

// celVar is the one variable a ZenOutput's filter sees: `finding`, with
// the members, environment and limits of FILTER_EXPRESSION (see
// internal/pipeline), so that one expression works in both places.
const celVar = "finding"

var (
	celFields         = []string{"category", "dedupKey", "detectedAt", "details", "eventType", "resolved", "resource", "rule", "severity", "source", "title"}
	celResourceFields = []string{"apiVersion", "kind", "name", "namespace"}
)

// compileFilter compiles a ZenOutput's spec.filter into a program that
// evaluates to bool; a member `finding` lacks is an error here, not on
// every evaluation.
func compileFilter(expr string) (cel.Program, error) {
	env, err := celexpr.NewEnv(celVar)
	if err != nil {
		return nil, err
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
	prg, err := celexpr.Program(env, checked, celexpr.CostLimit)
	if err != nil {
		return nil, fmt.Errorf("filter %q: %w", expr, err)
	}
	return prg, nil
}
