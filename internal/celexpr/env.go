package celexpr

import (
	"fmt"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/ext"
)

// Limits every CEL expression of the project shares: the pipeline filter,
// the audit rules, the ZenSource mappings and the ZenOutput filters. The
// expressions come from configuration or from custom resources, never
// from the network, but a typo such as a runaway comprehension must not
// stall every finding behind it.
const (
	// MaxExprLen is the longest expression accepted, in bytes; the CRDs
	// and FILTER_EXPRESSION have the same limit.
	MaxExprLen = 4096
	// CostLimit bounds the work of one evaluation (roughly: operations
	// plus bytes of strings scanned). A comparison of a few members costs
	// under 20, and one comprehension over any list that fits in 32 KiB of
	// details stays well under the limit; a nested comprehension over such
	// lists does not. Measured at about 0.5 µs per unit, so the worst case
	// is ~50 ms per evaluation: 1,000,000 would let one bad expression
	// spend ~0.5 s on each.
	CostLimit = 100_000
	// InterruptEvery is how many comprehension iterations run between
	// checks of the context, so cancellation ends a long evaluation.
	InterruptEvery = 100
)

// NewEnv returns the project's CEL environment with one variable of type
// map(string, dyn) per name; see NewEnvWith.
func NewEnv(vars ...string) (*cel.Env, error) {
	opts := make([]cel.EnvOption, len(vars))
	for i, v := range vars {
		opts[i] = cel.Variable(v, cel.MapType(cel.StringType, cel.DynType))
	}
	return NewEnvWith(opts...)
}

// NewEnvWith returns the project's CEL environment with the given
// declarations: the standard library, the strings extension (upperAscii,
// split, …), and numeric comparisons across int and double, because
// numbers decoded from JSON are doubles and `x.code >= 400` must still
// compare.
func NewEnvWith(decls ...cel.EnvOption) (*cel.Env, error) {
	opts := append([]cel.EnvOption{
		cel.ParserExpressionSizeLimit(MaxExprLen),
		cel.CrossTypeNumericComparisons(true),
		ext.Strings(),
	}, decls...)
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, fmt.Errorf("creating CEL environment: %w", err)
	}
	return env, nil
}

// Program plans a checked expression with the shared limits: costLimit
// per evaluation (CostLimit unless a caller on a hotter path needs less)
// and a context check every InterruptEvery iterations, so evaluate it with
// ContextEval and a context that ends.
func Program(env *cel.Env, checked *cel.Ast, costLimit uint64) (cel.Program, error) {
	prg, err := env.Program(checked,
		cel.CostLimit(costLimit),
		cel.InterruptCheckFrequency(InterruptEvery),
	)
	if err != nil {
		return nil, fmt.Errorf("planning CEL program: %w", err)
	}
	return prg, nil
}
