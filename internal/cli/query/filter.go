package query

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// Filter is what a user asked to see. The zero Filter matches everything.
type Filter struct {
	// Sources are source names, e.g. trivy; any of them matches.
	Sources []string
	// Severities are exact severities; any of them matches.
	Severities []zenv1.Severity
	// MinSeverity, when set, keeps findings at or above it.
	MinSeverity zenv1.Severity
	// State is Open or Resolved; empty matches both.
	State zenv1.State
	// Since keeps findings last seen (else created) within this long of Now.
	Since time.Duration
	// Resource is KIND/NAME or NAME of the object concerned; the kind is
	// compared without regard to case.
	Resource string
	// Rule is spec.rule exactly.
	Rule string
	// Now is the time Since counts back from.
	Now time.Time
}

// ParseSeverity reads a severity word in any case.
func ParseSeverity(s string) (zenv1.Severity, error) {
	sev := zenv1.Severity(strings.ToUpper(strings.TrimSpace(s)))
	if finding.Rank(sev) < 0 {
		return "", fmt.Errorf("unknown severity %q: want CRITICAL, HIGH, MEDIUM, LOW or INFO", s)
	}
	return sev, nil
}

// ParseState reads Open or Resolved in any case.
func ParseState(s string) (zenv1.State, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return "", nil
	case "open":
		return zenv1.StateOpen, nil
	case "resolved":
		return zenv1.StateResolved, nil
	}
	return "", fmt.Errorf("unknown state %q: want Open or Resolved", s)
}

// Selector is the label selector that makes the API server do as much of
// the filtering as labels allow: source, severity (an exact list, or the
// severities at or above the minimum) and the rule, when it is a label.
func (f *Filter) Selector() (labels.Selector, error) {
	sel := labels.NewSelector()
	add := func(key string, op selection.Operator, vals []string) error {
		r, err := labels.NewRequirement(key, op, vals)
		if err != nil {
			return fmt.Errorf("selecting %s: %w", key, err)
		}
		sel = sel.Add(*r)
		return nil
	}
	if len(f.Sources) > 0 {
		if err := add(zenv1.LabelSource, selection.In, f.Sources); err != nil {
			return nil, err
		}
	}
	if sevs := f.severitySet(); sevs != nil {
		if len(sevs) == 0 {
			return nil, fmt.Errorf("no severity is both in %v and at or above %s: nothing can match", f.Severities, f.MinSeverity)
		}
		if err := add(zenv1.LabelSeverity, selection.In, sevs); err != nil {
			return nil, err
		}
	}
	if rule, ok := finding.RuleLabel(f.Rule); ok {
		if err := add(zenv1.LabelRule, selection.Equals, []string{rule}); err != nil {
			return nil, err
		}
	}
	return sel, nil
}

// severitySet is the severities both Severities and MinSeverity allow, nil
// when neither is set. An empty, non-nil set means none can match.
func (f *Filter) severitySet() []string {
	if len(f.Severities) == 0 && f.MinSeverity == "" {
		return nil
	}
	out := []string{}
	for _, s := range []zenv1.Severity{zenv1.SeverityCritical, zenv1.SeverityHigh, zenv1.SeverityMedium, zenv1.SeverityLow, zenv1.SeverityInfo} {
		if len(f.Severities) > 0 && !slices.Contains(f.Severities, s) {
			continue
		}
		if f.MinSeverity != "" && finding.Rank(s) < finding.Rank(f.MinSeverity) {
			continue
		}
		out = append(out, string(s))
	}
	return out
}

// Match applies every filter to ev, including those the selector applied
// already: the labels of an event written by hand may disagree with its
// spec, and the spec is what the plugin shows.
func (f *Filter) Match(ev *zenv1.ZenAgentEvent) bool {
	if len(f.Sources) > 0 && !slices.Contains(f.Sources, ev.Spec.Source) {
		return false
	}
	if sevs := f.severitySet(); sevs != nil && !slices.Contains(sevs, string(ev.Spec.Severity)) {
		return false
	}
	if f.State != "" && State(ev) != f.State {
		return false
	}
	if f.Rule != "" && ev.Spec.Rule != f.Rule {
		return false
	}
	if f.Since > 0 && LastSeen(ev).Before(f.Now.Add(-f.Since)) {
		return false
	}
	return f.Resource == "" || matchResource(f.Resource, ev.Spec.Resource)
}

func matchResource(want string, r *zenv1.ResourceRef) bool {
	if r == nil {
		return false
	}
	kind, name, hasKind := strings.Cut(want, "/")
	if !hasKind {
		return r.Name == want
	}
	return strings.EqualFold(kind, r.Kind) && r.Name == name
}

// State is the event's state; an event whose status was never written is
// Open, as the CRD's default says.
func State(ev *zenv1.ZenAgentEvent) zenv1.State {
	if ev.Status.State == "" {
		return zenv1.StateOpen
	}
	return ev.Status.State
}

// LastSeen is status.lastSeen, else the creation time.
func LastSeen(ev *zenv1.ZenAgentEvent) time.Time {
	if ev.Status.LastSeen != nil {
		return ev.Status.LastSeen.Time
	}
	return ev.CreationTimestamp.Time
}
