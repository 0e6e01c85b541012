package v1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Severity is the normalized severity every tool's own scale is mapped onto.
// +kubebuilder:validation:Enum=CRITICAL;HIGH;MEDIUM;LOW;INFO
type Severity string

// Severities, from the most to the least severe.
const (
	SeverityCritical Severity = "CRITICAL"
	SeverityHigh     Severity = "HIGH"
	SeverityMedium   Severity = "MEDIUM"
	SeverityLow      Severity = "LOW"
	SeverityInfo     Severity = "INFO"
)

// Category separates findings about attack surface from findings about
// conformance to a standard or policy.
// +kubebuilder:validation:Enum=security;compliance
type Category string

// Categories.
const (
	CategorySecurity   Category = "security"
	CategoryCompliance Category = "compliance"
)

// State tells whether the condition behind an event still holds.
// +kubebuilder:validation:Enum=Open;Resolved
type State string

// States.
const (
	StateOpen     State = "Open"
	StateResolved State = "Resolved"
)

// Label keys set on every ZenAgentEvent so that kubectl and the API server
// can select events without reading their bodies.
const (
	LabelSource   = "source"
	LabelCategory = "category"
	LabelSeverity = "severity"
	// LabelRule is spec.rule when that is a valid label value; absent
	// otherwise (a Kyverno policy/rule, a Falco rule with spaces).
	LabelRule = "rule"
	// LabelKeyHash holds finding.KeyHash of the dedup key, the same for
	// every generation of one finding, so the event index can find an
	// event from metadata alone.
	LabelKeyHash = "zen.kube-zen.io/key"
	// LabelGeneration numbers the events of one key when DEDUP_WINDOW splits
	// a finding's recurrences into several events; "0" for the first.
	LabelGeneration = "zen.kube-zen.io/generation"
	// LabelOrigin holds a hash of the watched object (a report, a
	// ConfigMap) a pull-source event was read from, and LabelOriginScope a
	// hash of the watcher (tool and resource). A pull source rebuilds what
	// it knows from them after a restart or a failover.
	LabelOrigin      = "zen.kube-zen.io/origin"
	LabelOriginScope = "zen.kube-zen.io/origin-scope"
)

// Annotation keys set on pull-source events.
const (
	// AnnotationOrigin names the watched object readably: "<scope> <namespace>/<name>".
	AnnotationOrigin = "zen.kube-zen.io/origin"
	// AnnotationDedupKey repeats spec.dedupKey, so a pull source can
	// resolve the event after a restart from a list without event bodies.
	AnnotationDedupKey = "zen.kube-zen.io/dedup-key"
)

// AnnotationSender records who pushed an event's first occurrence through a
// webhook: token:<first 8 hex of the token's SHA-256>, hmac:<the same of
// the key>, mtls:<certificate subject>, or anonymous when webhook
// authentication is off. Events of pull sources do not carry it.
const AnnotationSender = "zen.kube-zen.io/sender"

// Limits on field sizes. They keep one event far below etcd's object size
// limit; the writer truncates longer values before they reach the API server.
const (
	MaxStringLength = 1024
	MaxRuleLength   = 253
	MaxTitleLength  = MaxStringLength
	MaxDetailsBytes = 32 * 1024
)

// ResourceRef names the Kubernetes object a finding concerns.
type ResourceRef struct {
	// APIVersion of the object, e.g. "apps/v1".
	// +kubebuilder:validation:MaxLength=253
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the object, e.g. "Deployment".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Kind string `json:"kind"`

	// Name of the object.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// Namespace of the object; empty for cluster-scoped objects.
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// ZenAgentEventSpec is one normalized finding. It is written once; repeats
// of the same finding only change the status.
type ZenAgentEventSpec struct {
	// Source is the tool that reported the finding: trivy, kyverno,
	// kube-bench, checkov, falco, audit, or the lowercase name of a dynamic
	// source. It is also the "source" label, so it obeys label value rules.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="source is immutable"
	Source string `json:"source"`

	// Category is security or compliance.
	Category Category `json:"category"`

	// Severity on the normalized scale.
	Severity Severity `json:"severity"`

	// EventType says what kind of finding this is, e.g. vulnerability,
	// policy-violation, cis-benchmark-fail, static-analysis,
	// runtime-security or audit.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	EventType string `json:"eventType"`

	// Rule is the tool's own identifier of what was found: the CVE id for
	// Trivy, policy/rule for Kyverno, the test number for kube-bench, the
	// check id for Checkov, the rule name for Falco and audit. When it is a
	// valid label value it is also the "rule" label, so -l can select it.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Rule string `json:"rule,omitempty"`

	// Title is one line a person reads: the CVE title, the kube-bench
	// test_desc, the Kyverno message, the Falco rule.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Title string `json:"title,omitempty"`

	// DetectedAt is when the tool first reported the finding.
	DetectedAt metav1.Time `json:"detectedAt"`

	// Resource is the object the finding concerns; absent for host-level
	// findings that concern no Kubernetes object.
	// +optional
	Resource *ResourceRef `json:"resource,omitempty"`

	// DedupKey identifies the finding across reports; the object name is
	// derived from it, so it never changes.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="dedupKey is immutable"
	DedupKey string `json:"dedupKey"`

	// Details carries the tool-specific fields of the finding, as the tool
	// reported them. The writer keeps it under 32 KiB serialized.
	// +kubebuilder:validation:Type=object
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	Details *apiextensionsv1.JSON `json:"details,omitempty"`
}

// ZenAgentEventStatus aggregates every occurrence of the finding.
// +kubebuilder:validation:XValidation:rule="self.state != 'Resolved' || has(self.resolvedAt)",message="a Resolved event needs resolvedAt"
type ZenAgentEventStatus struct {
	// Count is the total number of occurrences seen, including the first.
	// +kubebuilder:validation:Minimum=0
	// +optional
	Count int64 `json:"count,omitempty"`

	// FirstSeen is when the first occurrence was seen.
	// +optional
	FirstSeen *metav1.Time `json:"firstSeen,omitempty"`

	// LastSeen is when the latest occurrence was seen.
	// +optional
	LastSeen *metav1.Time `json:"lastSeen,omitempty"`

	// State is Open while the finding holds and Resolved once its source
	// reports it gone.
	// +kubebuilder:default=Open
	// +optional
	State State `json:"state,omitempty"`

	// ResolvedAt is when the source reported the finding gone.
	// +optional
	ResolvedAt *metav1.Time `json:"resolvedAt,omitempty"`
}

// ZenAgentEvent is a normalized security or compliance finding from one of
// the cluster's security tools, deduplicated across reports and restarts.
//
// It has no status subresource, on purpose: with one, the API server drops
// the status a create carries, and every new finding would cost two writes
// (create, then status). Without it, the create stores count 1, firstSeen,
// lastSeen and state at once, and repeats patch .status on the object
// itself. The status is still written only by zen-watcher, which never
// changes the spec after the create (spec.source and spec.dedupKey are
// immutable).
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:path=zenagentevents,singular=zenagentevent,shortName=zae,scope=Namespaced,categories=zen
// +kubebuilder:printcolumn:name="Source",type=string,JSONPath=`.spec.source`
// +kubebuilder:printcolumn:name="Category",type=string,JSONPath=`.spec.category`
// +kubebuilder:printcolumn:name="Severity",type=string,JSONPath=`.spec.severity`
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.eventType`
// +kubebuilder:printcolumn:name="Rule",type=string,JSONPath=`.spec.rule`
// +kubebuilder:printcolumn:name="Resource",type=string,JSONPath=`.spec.resource.name`
// +kubebuilder:printcolumn:name="Count",type=integer,JSONPath=`.status.count`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Title",type=string,JSONPath=`.spec.title`,priority=1
// +kubebuilder:printcolumn:name="Kind",type=string,JSONPath=`.spec.resource.kind`,priority=1
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.state`,priority=1
// +kubebuilder:printcolumn:name="Last-Seen",type=date,JSONPath=`.status.lastSeen`,priority=1
type ZenAgentEvent struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ZenAgentEventSpec   `json:"spec"`
	Status ZenAgentEventStatus `json:"status,omitempty"`
}

// ZenAgentEventList is a list of ZenAgentEvents.
//
// +kubebuilder:object:root=true
type ZenAgentEventList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ZenAgentEvent `json:"items"`
}
