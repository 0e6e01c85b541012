package pipeline

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/interpreter"

	"github.com/kube-zen/zen-watcher/internal/finding"
)

// Limits on a filter expression. The expression comes from configuration,
// not from the network, but a typo such as a runaway comprehension must not
// stall every finding behind it.
const (
	// celCostLimit bounds the work of one evaluation (roughly: operations
	// plus bytes of strings scanned). The example filters cost under 20, and
	// one comprehension over any list that fits in 32 KiB of details stays
	// well under the limit; a nested comprehension over such lists does not.
	// Measured at about 0.5 µs per unit, so the worst case is ~50 ms per
	// finding: 1,000,000 would let one bad filter spend ~0.5 s on each.
	celCostLimit = 100_000
	// celInterruptEvery is how many comprehension iterations run between
	// checks of the context, so cancellation ends a long evaluation.
	celInterruptEvery = 100
	// celMaxExprLen matches the FILTER_EXPRESSION limit in config.
	celMaxExprLen = 4096
)

// celVar is the one variable a filter expression sees.
const celVar = "finding"

// celFields are the keys of `finding`; celResourceFields those of
// `finding.resource`. Both are checked at compile time: the map type is
// map(string, dyn), so without the check a misspelt field would compile and
// then fail on every single finding at run time.
var (
	celFields         = []string{"category", "dedupKey", "detectedAt", "details", "eventType", "resolved", "resource", "severity", "source"}
	celResourceFields = []string{"apiVersion", "kind", "name", "namespace"}
)

// compileFilter compiles expr into a program that evaluates to bool.
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
		return nil, fmt.Errorf("compiling filter expression %q: %w", expr, iss.Err())
	}
	if t := checked.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
		return nil, fmt.Errorf("filter expression %q evaluates to %s, want bool", expr, t)
	}
	if err := checkFields(checked.NativeRep()); err != nil {
		return nil, fmt.Errorf("filter expression %q: %w", expr, err)
	}
	prg, err := env.Program(checked,
		cel.CostLimit(celCostLimit),
		cel.InterruptCheckFrequency(celInterruptEvery),
	)
	if err != nil {
		return nil, fmt.Errorf("building filter expression %q: %w", expr, err)
	}
	return prg, nil
}

// checkFields rejects finding.<x> and finding.resource.<x> selections of a
// field that does not exist.
func checkFields(a *ast.AST) error {
	var errs []string
	ast.PreOrderVisit(a.Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		if e.Kind() != ast.SelectKind {
			return
		}
		sel := e.AsSelect()
		op := sel.Operand()
		switch {
		case isIdent(op, celVar) && !slices.Contains(celFields, sel.FieldName()):
			errs = append(errs, fmt.Sprintf("finding has no field %q (fields: %s)", sel.FieldName(), strings.Join(celFields, ", ")))
		case op.Kind() == ast.SelectKind && op.AsSelect().FieldName() == "resource" && isIdent(op.AsSelect().Operand(), celVar) &&
			!slices.Contains(celResourceFields, sel.FieldName()):
			errs = append(errs, fmt.Sprintf("finding.resource has no field %q (fields: %s)", sel.FieldName(), strings.Join(celResourceFields, ", ")))
		}
	}))
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

func isIdent(e ast.Expr, name string) bool {
	return e.Kind() == ast.IdentKind && e.AsIdent() == name
}

// celActivation binds `finding` without the map an activation would
// otherwise need.
type celActivation struct {
	finding map[string]any
}

// ResolveName implements interpreter.Activation.
func (a *celActivation) ResolveName(name string) (any, bool) {
	if name == celVar {
		return a.finding, true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (a *celActivation) Parent() interpreter.Activation { return nil }

// celInput is what a filter expression sees as `finding`. resource is
// always present, with empty strings for a finding without one, so that
// finding.resource.namespace != "kube-system" holds for host findings
// instead of failing; details is an empty map when the finding has none.
func celInput(f *finding.Finding) *celActivation {
	var r [4]string
	if f.Resource != nil {
		r = [4]string{f.Resource.APIVersion, f.Resource.Kind, f.Resource.Name, f.Resource.Namespace}
	}
	details := f.Details
	if details == nil {
		details = map[string]any{}
	}
	return &celActivation{finding: map[string]any{
		"source":     f.Source,
		"category":   string(f.Category),
		"severity":   string(f.Severity),
		"eventType":  f.EventType,
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
