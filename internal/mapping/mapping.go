package mapping

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/types/ref"

	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/celexpr"
)

// Variables the expressions see.
const (
	// VarItem is one item of a webhook body.
	VarItem = "item"
	// VarObject is one watched object.
	VarObject = "object"
	// VarBody is the decoded webhook body, seen by the items expression.
	VarBody = "body"
	// VarSource is the ZenSource: {name, namespace}.
	VarSource = "source"
)

// sourceMembers are the members of `source` an expression may select.
var sourceMembers = []string{"name", "namespace"}

// sourceVar declares `source`.
var sourceVar = cel.Variable(VarSource, cel.MapType(cel.StringType, cel.StringType))

// Source is the ZenSource a mapping runs for.
type Source struct {
	Namespace, Name string
	// AnyNamespace lets a mapped resource name any namespace, and writes
	// its finding there: only for a source in zen-watcher's own namespace.
	// Otherwise a resource in another namespace is rejected, and findings
	// are written in the source's namespace.
	AnyNamespace bool
}

// value is what `source` evaluates to.
func (s Source) value() map[string]any {
	return map[string]any{"name": s.Name, "namespace": s.Namespace}
}

// kind is the output a field must have.
type kind int

const (
	kindString kind = iota
	kindTimestamp
	kindMap
	kindBool
)

func (k kind) String() string {
	return [...]string{"string", "timestamp", "map", "bool"}[k]
}

// accepts reports whether an expression of type t may give k: the exact
// type, or dyn, which is checked when it is evaluated.
func (k kind) accepts(t *cel.Type) bool {
	if t.IsExactType(cel.DynType) {
		return true
	}
	switch k {
	case kindString:
		return t.IsExactType(cel.StringType)
	case kindTimestamp:
		return t.IsExactType(cel.TimestampType)
	case kindBool:
		return t.IsExactType(cel.BoolType)
	}
	return t.Kind() == cel.MapKind
}

// field is one compiled expression of a mapping.
type field struct {
	name string
	kind kind
	prg  cel.Program
}

// Program is a compiled mapping. It is safe for concurrent use.
type Program struct {
	variable                                string
	severity, category, eventType, dedupKey field
	// Optional fields; prg nil when not set.
	detectedAt, resource, details, rule, title, resolved, filter field
	now                                                          func() time.Time
}

// Compile checks and compiles every expression of m for items bound to
// variable (VarItem or VarObject). Its error lists every broken field, as
// "mapping.<field>: <why>" lines.
func Compile(m v1alpha1.Mapping, variable string) (*Program, error) {
	if variable != VarItem && variable != VarObject {
		return nil, fmt.Errorf("mapping variable %q: want %q or %q", variable, VarItem, VarObject)
	}
	// An item may be any JSON value (an element of a list of strings, say);
	// a watched object is always an object.
	typ := cel.DynType
	if variable == VarObject {
		typ = cel.MapType(cel.StringType, cel.DynType)
	}
	env, err := celexpr.NewEnvWith(cel.Variable(variable, typ), sourceVar)
	if err != nil {
		return nil, err
	}
	p := &Program{variable: variable, now: time.Now}
	var errs []error
	for _, f := range []struct {
		dst      *field
		name     string
		expr     string
		kind     kind
		required bool
	}{
		{&p.severity, "severity", m.Severity, kindString, true},
		{&p.category, "category", m.Category, kindString, true},
		{&p.eventType, "eventType", m.EventType, kindString, true},
		{&p.dedupKey, "dedupKey", m.DedupKey, kindString, true},
		{&p.detectedAt, "detectedAt", m.DetectedAt, kindTimestamp, false},
		{&p.resource, "resource", m.Resource, kindMap, false},
		{&p.details, "details", m.Details, kindMap, false},
		{&p.rule, "rule", m.Rule, kindString, false},
		{&p.title, "title", m.Title, kindString, false},
		{&p.resolved, "resolved", m.Resolved, kindBool, false},
		{&p.filter, "filter", m.Filter, kindBool, false},
	} {
		f.dst.name, f.dst.kind = f.name, f.kind
		if strings.TrimSpace(f.expr) == "" {
			if f.required {
				errs = append(errs, fmt.Errorf("mapping.%s: required", f.name))
			}
			continue
		}
		prg, err := compile(env, f.expr, f.kind)
		if err != nil {
			errs = append(errs, fmt.Errorf("mapping.%s: %w", f.name, err))
			continue
		}
		f.dst.prg = prg
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

// compile checks one expression: it parses, its variables exist, it
// selects only members `source` has, it can give k, and it is not certain
// to exceed the cost limit.
func compile(env *cel.Env, expr string, k kind) (cel.Program, error) {
	checked, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, iss.Err()
	}
	if t := checked.OutputType(); !k.accepts(t) {
		return nil, fmt.Errorf("evaluates to %s, want a %s", t, k)
	}
	if err := celexpr.Check(checked.NativeRep(), celexpr.Members{VarSource: sourceMembers}); err != nil {
		return nil, err
	}
	// Sizes of the item are unknown, so the estimate's maximum is
	// useless; but an expression whose least cost is over the limit (a
	// comprehension over a large literal range) fails on every item.
	est, err := env.EstimateCost(checked, noSizes{})
	if err == nil && est.Min > celexpr.CostLimit {
		return nil, fmt.Errorf("costs at least %d, over the limit of %d per evaluation", est.Min, celexpr.CostLimit)
	}
	return celexpr.Program(env, checked, celexpr.CostLimit)
}

// noSizes leaves every size to the checker's own defaults.
type noSizes struct{}

func (noSizes) EstimateSize(checker.AstNode) *checker.SizeEstimate { return nil }
func (noSizes) EstimateCallCost(string, string, *checker.AstNode, []checker.AstNode) *checker.CallEstimate {
	return nil
}

// eval runs f on the activation; a nil program gives nil.
func (f field) eval(ctx context.Context, act *celexpr.Pair) (ref.Val, error) {
	if f.prg == nil {
		return nil, nil
	}
	out, _, err := f.prg.ContextEval(ctx, act)
	if err != nil {
		reason := ReasonEval
		if strings.Contains(err.Error(), "cost limit exceeded") {
			reason = ReasonCostLimit
		}
		return nil, &Error{Field: f.name, Reason: reason, Detail: err.Error()}
	}
	return out, nil
}
