// Package celexpr holds what the project's CEL expressions share: each sees
// one variable, a map (finding in the pipeline filter, event in the audit
// rules). Selecting a member the map never has is caught when the
// expression compiles, not left to fail on every evaluation; and the
// variable is bound without building a map per evaluation.
package celexpr

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/interpreter"
)

// Members lists, by path ("finding", "finding.resource"), the member names
// that may be selected there. Paths not listed are not checked.
type Members map[string][]string

// Check returns an error naming every selection, in a, of a member that
// members does not list under its path.
func Check(a *ast.AST, members Members) error {
	var errs []string
	ast.PreOrderVisit(a.Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		if e.Kind() != ast.SelectKind {
			return
		}
		sel := e.AsSelect()
		path, ok := pathOf(sel.Operand())
		if !ok {
			return
		}
		if names, listed := members[path]; listed && !slices.Contains(names, sel.FieldName()) {
			errs = append(errs, fmt.Sprintf("%s has no member %q (members: %s)", path, sel.FieldName(), strings.Join(names, ", ")))
		}
	}))
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// pathOf writes an identifier or a chain of selections from one as a
// dotted path.
func pathOf(e ast.Expr) (string, bool) {
	switch e.Kind() {
	case ast.IdentKind:
		return e.AsIdent(), true
	case ast.SelectKind:
		parent, ok := pathOf(e.AsSelect().Operand())
		return parent + "." + e.AsSelect().FieldName(), ok
	}
	return "", false
}

// Activation binds one variable, and nothing else, for an evaluation.
type Activation struct {
	Name  string
	Value any
}

// ResolveName implements interpreter.Activation.
func (a *Activation) ResolveName(name string) (any, bool) {
	if name == a.Name {
		return a.Value, true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (a *Activation) Parent() interpreter.Activation { return nil }

// Pair binds two variables, and nothing else, for an evaluation: a
// mapping sees the item and its source.
type Pair struct {
	First, Second Activation
}

// ResolveName implements interpreter.Activation.
func (p *Pair) ResolveName(name string) (any, bool) {
	if v, ok := p.First.ResolveName(name); ok {
		return v, true
	}
	return p.Second.ResolveName(name)
}

// Parent implements interpreter.Activation.
func (p *Pair) Parent() interpreter.Activation { return nil }
