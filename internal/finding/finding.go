// Package finding defines the normalized model every source produces: one
// Finding per problem a tool reports, on one severity scale, with the dedup
// key that decides which findings are the same.
package finding

import (
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/ack"
)

// Finding is one normalized finding from one source.
type Finding struct {
	// Source is the reporting tool, e.g. "trivy"; it becomes the source label
	// and the object name prefix.
	Source string
	// Category is security or compliance.
	Category zenv1.Category
	// Severity is on the normalized scale; sources map their own words with
	// the tables in severity.go.
	Severity zenv1.Severity
	// EventType says what kind of finding it is, e.g. "vulnerability".
	EventType string
	// Rule is the tool's own identifier of what was found: a CVE id, a
	// Kyverno policy/rule, a kube-bench test number, a Checkov check id, a
	// Falco or audit rule name. It becomes spec.rule, and the rule label
	// when it is a valid label value.
	Rule string
	// Title is one line a person reads, e.g. the CVE title or the
	// kube-bench test description. It becomes spec.title.
	Title string
	// Resource is the object concerned; nil for host-level findings.
	Resource *zenv1.ResourceRef
	// Details are the tool-specific fields worth keeping.
	Details map[string]any
	// DetectedAt is when the tool observed the finding.
	DetectedAt time.Time
	// DedupKey identifies the finding within its source; findings with the
	// same source and key are occurrences of one event.
	DedupKey string
	// EventNamespace, when set, is the namespace the event is written in;
	// otherwise it is the resource's, or the daemon's events namespace. A
	// ZenSource's findings set it, so a tenant's events stay in its
	// namespace.
	EventNamespace string
	// Resolved is set when the source reports that the finding is gone.
	Resolved bool
	// SingleOccurrence says the key names one occurrence, not a recurring
	// problem: an audit event's ID is one request. A second finding with
	// the key is a redelivery (a retried batch, the request's next stage)
	// and does not raise the count.
	SingleOccurrence bool
	// Sender names who pushed the finding, as the webhook authenticated it
	// (token:<fingerprint>, hmac:<fingerprint>, mtls:<subject>); empty for
	// pull sources. It never holds a secret.
	Sender string
	// Origin is the watched object a pull source read the finding from;
	// zero for push sources.
	Origin Origin
	// Ack, when set, is settled once the finding is stored; a webhook in
	// "stored" mode waits for it. Stages that drop a finding leave it
	// unsettled: the waiter counts only the findings that go on.
	Ack *ack.Ack
}

// Namespace is the namespace of the resource concerned, empty when none.
func (f *Finding) Namespace() string {
	if f.Resource == nil {
		return ""
	}
	return f.Resource.Namespace
}

// RuleLabel returns the value of the rule label for rule, and false when
// rule is empty or not a valid label value (a Kyverno policy/rule, a Falco
// rule with spaces): such a rule stays in the spec only, rather than being
// rewritten into a label that no longer says what the tool said.
func RuleLabel(rule string) (string, bool) {
	if rule == "" || len(validation.IsValidLabelValue(rule)) > 0 {
		return "", false
	}
	return rule, true
}
