package kyverno

import (
	"maps"
	"time"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
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
func readResult(d *decoder, n node, now time.Time) result {
	x := result{
		outcomeWord: d.text(n, "result"),
		policy:      d.str(n, "policy"),
		rule:        d.str(n, "rule"),
		severity:    d.str(n, "severity"),
		message:     d.text(n, "message"),
		source:      d.text(n, "source"),
		category:    d.text(n, "category"),
		properties:  d.stringMap(n, "properties"),
		detectedAt:  now,
	}
	x.outcome, _ = x.outcomeWord.(string)
	x.scored, _ = d.boolean(n, "scored")
	// Zero seconds is the zero metav1.Timestamp, which Go clients write
	// when no time was set, not a time of 1970; neither is a time outside
	// what an event can hold.
	if s, ok := d.integer(d.object(n, "timestamp"), "seconds"); ok && s > 0 && s <= maxSeconds {
		x.detectedAt = time.Unix(s, 0).UTC()
	}
	path := n.at("resources")
	for i, e := range d.list(n, "resources") {
		ref, _ := readRef(d, d.element(path, i, e))
		x.resources = append(x.resources, ref)
	}
	return x
}

// readRef reads an object reference (a scope or a resources entry) and
// tells whether it names an object.
func readRef(d *decoder, n node) (zenv1.ResourceRef, bool) {
	ref := zenv1.ResourceRef{
		APIVersion: d.str(n, "apiVersion"),
		Kind:       d.str(n, "kind"),
		Name:       d.str(n, "name"),
		Namespace:  d.str(n, "namespace"),
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
		Resource:   &ref,
		Details:    details,
		DetectedAt: x.detectedAt,
		DedupKey:   ref.Namespace + "/" + ref.Kind + "/" + ref.Name + "/" + x.policy + "/" + x.rule,
	}
}
