package mapping

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"google.golang.org/protobuf/types/known/structpb"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/celexpr"
	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source"
)

// Reasons an item is rejected, fit for a metric label.
const (
	// ReasonEval: an expression failed on the item, such as a key the
	// item does not have.
	ReasonEval = "mapping-error"
	// ReasonCostLimit: an expression exceeded the cost limit on the item.
	ReasonCostLimit = "cost-limit"
	// ReasonWrongType: an expression gave a value of the wrong type.
	ReasonWrongType = source.ReasonWrongType
	// ReasonUnknownValue: severity or category outside its enum.
	ReasonUnknownValue = source.ReasonUnknownValue
	// ReasonMissingField: an empty dedup key.
	ReasonMissingField = source.ReasonMissingField
	// ReasonOtherNamespace: the resource names a namespace the source may
	// not write to.
	ReasonOtherNamespace = "other-namespace"
)

// ReasonFiltered counts the items the filter expression dropped; Map
// reports them with keep false, not as an error.
const ReasonFiltered = "filtered"

// Error is one item's rejection.
type Error struct {
	// Field is the mapping field that failed, such as "severity".
	Field string
	// Reason is one of the Reason constants.
	Reason string
	// Detail says what was wrong, for people.
	Detail string
}

func (e *Error) Error() string { return "mapping." + e.Field + ": " + e.Detail }

func wrongType(field string, v ref.Val, want string) *Error {
	return &Error{Field: field, Reason: ReasonWrongType, Detail: fmt.Sprintf("gave %s, want %s", v.Type().TypeName(), want)}
}

// Map evaluates the mapping on value (one item or object, as decoded from
// JSON) for src. keep is false when the filter dropped the item; err is an
// *Error when the item is rejected. ctx bounds the evaluation.
func (p *Program) Map(ctx context.Context, value any, src Source) (f finding.Finding, keep bool, err error) {
	act := &celexpr.Pair{First: celexpr.Activation{Name: p.variable, Value: value}, Second: celexpr.Activation{Name: VarSource, Value: src.value()}}
	if p.filter.prg != nil {
		v, err := p.filter.eval(ctx, act)
		if err != nil {
			return finding.Finding{}, false, err
		}
		b, ok := v.(types.Bool)
		if !ok {
			return finding.Finding{}, false, wrongType("filter", v, "a bool")
		}
		if !b {
			return finding.Finding{}, false, nil
		}
	}
	f.Source = src.Name
	var severity, category, key string
	for _, s := range [...]struct {
		fl  *field
		dst *string
	}{{&p.severity, &severity}, {&p.category, &category}, {&p.eventType, &f.EventType}, {&p.dedupKey, &key}, {&p.rule, &f.Rule}, {&p.title, &f.Title}} {
		v, err := s.fl.eval(ctx, act)
		if err != nil {
			return finding.Finding{}, false, err
		}
		if v == nil {
			continue
		}
		str, ok := v.(types.String)
		if !ok {
			return finding.Finding{}, false, wrongType(s.fl.name, v, "a string")
		}
		*s.dst = string(str)
	}
	f.Severity = zenv1.Severity(severity)
	if finding.Rank(f.Severity) < 0 {
		return finding.Finding{}, false, &Error{Field: "severity", Reason: ReasonUnknownValue,
			Detail: fmt.Sprintf("gave %q, want CRITICAL, HIGH, MEDIUM, LOW or INFO", clip(severity))}
	}
	f.Category = zenv1.Category(category)
	if f.Category != zenv1.CategorySecurity && f.Category != zenv1.CategoryCompliance {
		return finding.Finding{}, false, &Error{Field: "category", Reason: ReasonUnknownValue,
			Detail: fmt.Sprintf("gave %q, want security or compliance", clip(category))}
	}
	if strings.TrimSpace(key) == "" {
		return finding.Finding{}, false, &Error{Field: "dedupKey", Reason: ReasonMissingField, Detail: "gave an empty key"}
	}
	// The source's identity leads the key: two tenants' sources of one
	// name, or one source's keys across a rename, never merge.
	f.DedupKey = src.Namespace + "/" + src.Name + "/" + key
	if err := p.optional(ctx, act, &f); err != nil {
		return finding.Finding{}, false, err
	}
	if err := confine(&f, src); err != nil {
		return finding.Finding{}, false, err
	}
	return f, true, nil
}

// optional evaluates detectedAt, resource, resolved and details into f.
func (p *Program) optional(ctx context.Context, act *celexpr.Pair, f *finding.Finding) error {
	v, err := p.detectedAt.eval(ctx, act)
	if err != nil {
		return err
	}
	switch t := v.(type) {
	case nil:
		f.DetectedAt = p.now()
	case types.Timestamp:
		f.DetectedAt = t.Time
	default:
		return wrongType("detectedAt", v, "a timestamp (use timestamp(...) on an RFC 3339 string)")
	}
	if v, err = p.resource.eval(ctx, act); err != nil {
		return err
	}
	if v != nil {
		r, err := resourceOf(v)
		if err != nil {
			return err
		}
		f.Resource = r
	}
	if v, err = p.resolved.eval(ctx, act); err != nil {
		return err
	}
	if v != nil {
		b, ok := v.(types.Bool)
		if !ok {
			return wrongType("resolved", v, "a bool")
		}
		f.Resolved = bool(b)
	}
	if v, err = p.details.eval(ctx, act); err != nil {
		return err
	}
	if v != nil {
		m, err := jsonMap("details", v)
		if err != nil {
			return err
		}
		f.Details = m
	}
	return nil
}

// confine applies the tenant rule: a resource in another namespace is
// rejected unless src may name any, and the finding is written in the
// source's namespace (or, for a source that may name any, in its
// resource's).
func confine(f *finding.Finding, src Source) error {
	ns := f.Namespace()
	switch {
	case ns == "":
		f.EventNamespace = src.Namespace
	case src.AnyNamespace || ns == src.Namespace:
		f.EventNamespace = ns
	default:
		return &Error{Field: "resource", Reason: ReasonOtherNamespace,
			Detail: fmt.Sprintf("names namespace %q; a source in namespace %q may only report resources of its own", clip(ns), src.Namespace)}
	}
	return nil
}

// jsonMap converts a CEL map into plain JSON values (map[string]any,
// []any, string, float64, bool, nil).
func jsonMap(field string, v ref.Val) (map[string]any, error) {
	if v.Type() != types.MapType {
		return nil, wrongType(field, v, "a map")
	}
	native, err := v.ConvertToNative(reflect.TypeFor[*structpb.Value]())
	if err != nil {
		return nil, &Error{Field: field, Reason: ReasonWrongType, Detail: "not JSON: " + err.Error()}
	}
	m, ok := native.(*structpb.Value).AsInterface().(map[string]any)
	if !ok {
		return nil, wrongType(field, v, "a map")
	}
	return m, nil
}

// resourceOf reads a resource map: string members apiVersion, kind, name
// and namespace only.
func resourceOf(v ref.Val) (*zenv1.ResourceRef, error) {
	m, err := jsonMap("resource", v)
	if err != nil {
		return nil, err
	}
	r := &zenv1.ResourceRef{}
	for k, val := range m {
		s, ok := val.(string)
		if !ok {
			return nil, &Error{Field: "resource", Reason: ReasonWrongType, Detail: fmt.Sprintf("member %q is not a string", clip(k))}
		}
		switch k {
		case "apiVersion":
			r.APIVersion = s
		case "kind":
			r.Kind = s
		case "name":
			r.Name = s
		case "namespace":
			r.Namespace = s
		default:
			return nil, &Error{Field: "resource", Reason: ReasonWrongType,
				Detail: fmt.Sprintf("has member %q; want only apiVersion, kind, name and namespace", clip(k))}
		}
	}
	return r, nil
}

// clip shortens an item's value before it goes into a message.
func clip(s string) string {
	if len(s) <= 64 {
		return s
	}
	v, _ := finding.FitUTF8(s, 64)
	return v + "…"
}
