package kyverno

import (
	"maps"
	"time"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source/fields"
)

// maxSeconds is 9999-12-31T23:59:59Z, the last time a ZenAgentEvent can
// hold: metav1.Time is written as RFC 3339, which has four-digit years.
const maxSeconds = 253402300799

// result is one entry of a report's results, as read.
type result struct {
	outcome, severity string
	policy, rule      string
	// Members passed to details as read.
	message, source, category, outcomeWord any
	scored                                 bool
	properties                             map[string]string
	resources                              []zenv1.ResourceRef
	detectedAt                             time.Time
}

// readResult reads every member Findings uses, whether or not the result
// is selected, so that a wrong type is an error whatever the outcome.
func readResult(d *fields.Decoder, n fields.Node, now time.Time) result {
	x := result{
		outcomeWord: d.Text(n, "result"),
		policy:      d.String(n, "policy"),
		rule:        d.String(n, "rule"),
		severity:    d.String(n, "severity"),
		message:     d.Text(n, "message"),
		source:      d.Text(n, "source"),
		category:    d.Text(n, "category"),
		properties:  d.StringMap(n, "properties"),
		detectedAt:  now,
	}
	x.outcome, _ = x.outcomeWord.(string)
	x.scored, _ = d.Bool(n, "scored")
	// Zero seconds is the zero metav1.Timestamp, which Go clients write
	// when no time was set, not a time of 1970; neither is a time outside
	// what an event can hold.
	if s, ok := d.Integer(d.Object(n, "timestamp"), "seconds"); ok && s > 0 && s <= maxSeconds {
		x.detectedAt = time.Unix(s, 0).UTC()
	}
	if resources := d.List(n, "resources"); len(resources) > 0 {
		path := n.Path("resources") // once for all entries, and only when there are some
		for i, e := range resources {
			ref, _ := readRef(d, d.Element(path, i, e))
			x.resources = append(x.resources, ref)
		}
	}
	return x
}

// readRef reads an object reference (a scope or a resources entry) and
// tells whether it names an object.
func readRef(d *fields.Decoder, n fields.Node) (zenv1.ResourceRef, bool) {
	ref := zenv1.ResourceRef{
		APIVersion: d.String(n, "apiVersion"),
		Kind:       d.String(n, "kind"),
		Name:       d.String(n, "name"),
		Namespace:  d.String(n, "namespace"),
	}
	return ref, ref.Kind != "" && ref.Name != ""
}

// finding is the finding of this result on ref. Each gets its own details
// and properties: later stages may edit one finding without touching its
// siblings or the report in the informer cache.
func (x *result) finding(ref zenv1.ResourceRef, sev zenv1.Severity) finding.Finding {
	details := map[string]any{
		"policy":   x.policy,
		"rule":     x.rule,
		"message":  x.message,
		"source":   x.source,
		"result":   x.outcomeWord,
		"category": x.category,
		"scored":   x.scored,
	}
	if x.properties != nil {
		details["properties"] = maps.Clone(x.properties)
	}
	return finding.Finding{
		Source:     SourceName,
		Category:   zenv1.CategorySecurity,
		Severity:   sev,
		EventType:  EventType,
		Rule:       x.ruleID(),
		Title:      x.title(),
		Resource:   &ref,
		Details:    details,
		DetectedAt: x.detectedAt,
		DedupKey:   ref.Namespace + "/" + ref.Kind + "/" + ref.Name + "/" + x.policy + "/" + x.rule,
	}
}

// ruleID is policy/rule, the pair that names a Kyverno check; a result
// without a rule name (other report producers leave it out) is named by
// its policy alone.
func (x *result) ruleID() string {
	if x.rule == "" {
		return x.policy
	}
	if x.policy == "" {
		return x.rule
	}
	return x.policy + "/" + x.rule
}

// title is the result's message, else the rule id: a result always says
// something a person can read.
func (x *result) title() string {
	if m, _ := x.message.(string); m != "" {
		return m
	}
	return x.ruleID()
}
