package celexpr

import (
	"fmt"

	"github.com/google/cel-go/cel"
)

// FindingVar is the variable a finding filter sees: FILTER_EXPRESSION in
// the pipeline, and a ZenOutput's spec.filter.
const FindingVar = "finding"

// FindingMembers are the members of `finding` and of `finding.resource`.
// Both filters share them, so that one expression works in both places;
// they are checked at compile time because the variable's type is
// map(string, dyn), on which a misspelt member would otherwise compile and
// then fail on every finding.
var FindingMembers = Members{
	FindingVar:               {"category", "dedupKey", "detectedAt", "details", "eventType", "resolved", "resource", "rule", "severity", "source", "title"},
	FindingVar + ".resource": {"apiVersion", "kind", "name", "namespace"},
}

// CompileFindingFilter compiles expr, over `finding`, into a program with
// the shared cost limit that evaluates to bool.
func CompileFindingFilter(expr string) (cel.Program, error) {
	env, err := NewEnv(FindingVar)
	if err != nil {
		return nil, err
	}
	checked, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, fmt.Errorf("compiling filter expression %q: %w", expr, iss.Err())
	}
	if t := checked.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
		return nil, fmt.Errorf("filter expression %q evaluates to %s, want bool", expr, t)
	}
	if err := Check(checked.NativeRep(), FindingMembers); err != nil {
		return nil, fmt.Errorf("filter expression %q: %w", expr, err)
	}
	prg, err := Program(env, checked, CostLimit)
	if err != nil {
		return nil, fmt.Errorf("building filter expression %q: %w", expr, err)
	}
	return prg, nil
}
