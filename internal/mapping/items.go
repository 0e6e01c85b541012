package mapping

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/traits"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/kube-zen/zen-watcher/internal/celexpr"
	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/jsonerr"
)

// MaxItems bounds the items one body may hold: each is mapped and may
// become a write, so a body of a million tiny items is refused whole
// rather than half-processed.
const MaxItems = 10_000

// Items splits a webhook body into items. The zero or nil Items takes the
// body as the one item.
type Items struct {
	prg cel.Program
}

// CompileItems compiles expr, a CEL expression over `body` and `source`
// that gives a list; "" means the body is the one item.
func CompileItems(expr string) (*Items, error) {
	if strings.TrimSpace(expr) == "" {
		return &Items{}, nil
	}
	// A body may be any JSON value, an array as much as an object.
	env, err := celexpr.NewEnvWith(cel.Variable(VarBody, cel.DynType), sourceVar)
	if err != nil {
		return nil, err
	}
	checked, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, fmt.Errorf("items: %w", iss.Err())
	}
	if t := checked.OutputType(); !t.IsExactType(cel.DynType) && t.Kind() != cel.ListKind {
		return nil, fmt.Errorf("items: evaluates to %s, want a list", t)
	}
	if err := celexpr.Check(checked.NativeRep(), celexpr.Members{VarSource: sourceMembers}); err != nil {
		return nil, fmt.Errorf("items: %w", err)
	}
	prg, err := celexpr.Program(env, checked, celexpr.CostLimit)
	if err != nil {
		return nil, fmt.Errorf("items: %w", err)
	}
	return &Items{prg: prg}, nil
}

// Decode reads a JSON body: one value, nothing after it. Numbers become
// float64, as CEL's double.
func Decode(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, jsonerr.Explain("body", err)
	}
	if dec.More() {
		return nil, source.Errorf(source.ReasonInvalidJSON, "parsing body JSON: data after the first value")
	}
	return v, nil
}

// Extract returns the items of body, a decoded JSON value. Without an
// expression the body is the one item. The error is a *source.ParseError:
// the body as a whole is refused.
func (it *Items) Extract(ctx context.Context, body any, src Source) ([]any, error) {
	if it == nil || it.prg == nil {
		return []any{body}, nil
	}
	out, _, err := it.prg.ContextEval(ctx, &celexpr.Pair{
		First:  celexpr.Activation{Name: VarBody, Value: body},
		Second: celexpr.Activation{Name: VarSource, Value: src.value()},
	})
	if err != nil {
		return nil, source.Errorf(source.ReasonUnknownShape, "items expression: %v", err)
	}
	if out.Type() != types.ListType {
		return nil, source.Errorf(source.ReasonWrongType, "items expression gave %s, want a list", out.Type().TypeName())
	}
	if n, ok := out.(traits.Sizer); ok && n.Size().(types.Int) > MaxItems {
		return nil, source.Errorf(source.ReasonUnknownShape, "items expression gave %d items, more than the %d one body may hold", n.Size(), MaxItems)
	}
	if items, ok := out.Value().([]any); ok {
		return items, nil // a list of the body itself: no copy
	}
	// A list the expression built: its elements are CEL values.
	native, err := out.ConvertToNative(reflect.TypeFor[*structpb.ListValue]())
	if err != nil {
		return nil, source.Errorf(source.ReasonWrongType, "items expression gave a list that is not JSON: %v", err)
	}
	items := native.(*structpb.ListValue).AsSlice()
	return items, nil
}
