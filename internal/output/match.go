package output

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/google/cel-go/cel"
	"k8s.io/apimachinery/pkg/types"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/celexpr"
	zenfinding "github.com/kube-zen/zen-watcher/internal/finding"
)

// Matcher decides which findings, and which of their changes, one output
// receives. Everything but the CEL filter reads fields the engine keeps
// in memory (Cheap); the filter may read details, so it runs on the
// finding as fetched at delivery (Filter).
type Matcher struct {
	// Namespace confines a tenant's output to its own namespace; empty
	// for an output in zen-watcher's own namespace, which sees all.
	Namespace   string
	minRank     int
	sources     []string
	on          map[Trigger]bool
	filter      cel.Program
	filterSaved string
}

// NewMatcher compiles an output's spec. ownNamespace is zen-watcher's own
// namespace: an output there sees every namespace.
func NewMatcher(o *v1alpha1.ZenOutput, ownNamespace string) (*Matcher, error) {
	m := &Matcher{sources: o.Spec.Sources, on: map[Trigger]bool{}, minRank: zenfinding.Rank(zenv1.SeverityInfo)}
	if o.Namespace != ownNamespace {
		m.Namespace = o.Namespace
	}
	if s := o.Spec.MinSeverity; s != "" {
		m.minRank = zenfinding.Rank(zenv1.Severity(s))
		if m.minRank < 0 {
			return nil, fmt.Errorf("minSeverity %q is not one of CRITICAL, HIGH, MEDIUM, LOW, INFO", s)
		}
	}
	on := o.Spec.On
	if len(on) == 0 {
		on = []v1alpha1.OutputTrigger{v1alpha1.OutputOnCreated, v1alpha1.OutputOnEscalated, v1alpha1.OutputOnResolved}
	}
	for _, t := range on {
		m.on[Trigger(t)] = true
	}
	if o.Spec.Filter != "" {
		prg, err := celexpr.CompileFindingFilter(o.Spec.Filter)
		if err != nil {
			return nil, err
		}
		m.filter, m.filterSaved = prg, o.Spec.Filter
	}
	return m, nil
}

// Wants reports whether the output delivers changes of kind t.
func (m *Matcher) Wants(t Trigger) bool { return m.on[t] }

// Cheap reports whether e passes every test but the filter: scope,
// severity and source.
func (m *Matcher) Cheap(e *zenv1.ZenAgentEvent) bool {
	if m.Namespace != "" && e.Namespace != m.Namespace {
		return false
	}
	if r := zenfinding.Rank(e.Spec.Severity); r < m.minRank {
		return false
	}
	return len(m.sources) == 0 || slices.Contains(m.sources, e.Spec.Source)
}

// HasFilter reports whether Filter needs the finding's details.
func (m *Matcher) HasFilter() bool { return m.filter != nil }

// Filter evaluates the CEL filter on e, which must carry its details. An
// evaluation error counts as no match, with the error, as the pipeline's
// FILTER_EXPRESSION does with the finding kept out.
func (m *Matcher) Filter(ctx context.Context, e *zenv1.ZenAgentEvent) (bool, error) {
	if m.filter == nil {
		return true, nil
	}
	in, err := celInput(e)
	if err != nil {
		return false, err
	}
	out, _, err := m.filter.ContextEval(ctx, in)
	if err != nil {
		return false, fmt.Errorf("evaluating filter %q on %s/%s: %w", m.filterSaved, e.Namespace, e.Name, err)
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("filter %q gave %v on %s/%s, want bool", m.filterSaved, out.Value(), e.Namespace, e.Name)
	}
	return b, nil
}

// key names an event.
func key(e *zenv1.ZenAgentEvent) types.NamespacedName {
	return types.NamespacedName{Namespace: e.Namespace, Name: e.Name}
}

// celInput is what the filter sees as `finding`: the same members, with the
// same types, as FILTER_EXPRESSION sees for the finding before it is stored.
func celInput(e *zenv1.ZenAgentEvent) (*celexpr.Activation, error) {
	details := map[string]any{}
	if e.Spec.Details != nil && len(e.Spec.Details.Raw) > 0 {
		if err := json.Unmarshal(e.Spec.Details.Raw, &details); err != nil {
			return nil, fmt.Errorf("decoding the details of %s/%s: %w", e.Namespace, e.Name, err)
		}
	}
	var r [4]string
	if res := e.Spec.Resource; res != nil {
		r = [4]string{res.APIVersion, res.Kind, res.Name, res.Namespace}
	}
	return &celexpr.Activation{Name: celexpr.FindingVar, Value: map[string]any{
		"source":     e.Spec.Source,
		"category":   string(e.Spec.Category),
		"severity":   string(e.Spec.Severity),
		"eventType":  e.Spec.EventType,
		"rule":       e.Spec.Rule,
		"title":      e.Spec.Title,
		"dedupKey":   e.Spec.DedupKey,
		"detectedAt": e.Spec.DetectedAt.Time,
		"details":    details,
		"resolved":   e.Status.State == zenv1.StateResolved,
		"resource": map[string]any{
			"apiVersion": r[0],
			"kind":       r[1],
			"name":       r[2],
			"namespace":  r[3],
		},
	}}, nil
}
