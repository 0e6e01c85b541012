package pipeline

import (
	"fmt"

	"github.com/google/cel-go/cel"

	"github.com/kube-zen/zen-watcher/internal/celexpr"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// celVar is the one variable a filter expression sees.
const celVar = "finding"

// celFields are the keys of `finding`; celResourceFields those of
// `finding.resource`. Both are checked at compile time: the map type is
// map(string, dyn), so without the check a misspelt field would compile and
// then fail on every single finding at run time.
var (
	celFields         = []string{"category", "dedupKey", "detectedAt", "details", "eventType", "resolved", "resource", "rule", "severity", "source", "title"}
	celResourceFields = []string{"apiVersion", "kind", "name", "namespace"}
)

// compileFilter compiles expr into a program that evaluates to bool.
func compileFilter(expr string) (cel.Program, error) {
	env, err := celexpr.NewEnv(celVar)
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
	if err := celexpr.Check(checked.NativeRep(), celexpr.Members{celVar: celFields, celVar + ".resource": celResourceFields}); err != nil {
		return nil, fmt.Errorf("filter expression %q: %w", expr, err)
	}
	prg, err := celexpr.Program(env, checked, celexpr.CostLimit)
	if err != nil {
		return nil, fmt.Errorf("building filter expression %q: %w", expr, err)
	}
	return prg, nil
}

// celInput is what a filter expression sees as `finding`. resource is
// always present, with empty strings for a finding without one, so that
// finding.resource.namespace != "kube-system" holds for host findings
// instead of failing; details is an empty map when the finding has none.
func celInput(f *finding.Finding) *celexpr.Activation {
	var r [4]string
	if f.Resource != nil {
		r = [4]string{f.Resource.APIVersion, f.Resource.Kind, f.Resource.Name, f.Resource.Namespace}
	}
	details := f.Details
	if details == nil {
		details = map[string]any{}
	}
	return &celexpr.Activation{Name: celVar, Value: map[string]any{
		"source":     f.Source,
		"category":   string(f.Category),
		"severity":   string(f.Severity),
		"eventType":  f.EventType,
		"rule":       f.Rule,
		"title":      f.Title,
		"dedupKey":   f.DedupKey,
		"detectedAt": f.DetectedAt,
		"details":    details,
		"resolved":   f.Resolved,
		"resource": map[string]any{
			"apiVersion": r[0],
			"kind":       r[1],
			"name":       r[2],
			"namespace":  r[3],
		},
	}}
}
