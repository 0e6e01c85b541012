package v1alpha1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ZenSourceResource is the plural resource name, as used in discovery and RBAC.
const ZenSourceResource = "zensources"

// ZenSourceSpec declares one intake: exactly one of Webhook or Watch, and
// the Mapping that turns what it receives into findings.
//
// +kubebuilder:validation:XValidation:rule="has(self.webhook) != has(self.watch)",message="exactly one of webhook or watch must be set"
type ZenSourceSpec struct {
	// Webhook serves POST /api/v1/sources/{namespace}/{name} on every replica.
	// +optional
	Webhook *WebhookSource `json:"webhook,omitempty"`

	// Watch reads objects of one kind through the API server, on the leader.
	// +optional
	Watch *WatchSource `json:"watch,omitempty"`

	// Mapping turns one received item or watched object into a finding.
	Mapping Mapping `json:"mapping"`
}

// WebhookSource is an HTTP intake with its own credentials and limits.
type WebhookSource struct {
	// Auth names the Secrets, in this namespace, holding the credentials
	// the intake accepts.
	Auth WebhookAuth `json:"auth"`

	// MaxBodyBytes bounds a request body, after gzip decompression.
	// Defaults to the daemon's SOURCE_MAX_BODY_BYTES, which is also the
	// most it may be.
	// +optional
	MaxBodyBytes *resource.Quantity `json:"maxBodyBytes,omitempty"`

	// RateLimit is this source's own request budget; defaults to the
	// daemon's RATE_LIMIT_RPS and RATE_LIMIT_BURST.
	// +optional
	RateLimit *RateLimit `json:"rateLimit,omitempty"`

	// Schema is a JSON Schema (draft 2020-12) every body must satisfy.
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	Schema *apiextensionsv1.JSON `json:"schema,omitempty"`

	// Items is a CEL expression over `body` giving a list; each element
	// becomes one item. Without it the body is the one item.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Items string `json:"items,omitempty"`
}

// WebhookAuth lists the accepted credentials; at least one is required.
//
// +kubebuilder:validation:XValidation:rule="has(self.tokenSecretRef) || has(self.hmacSecretRef)",message="at least one of tokenSecretRef or hmacSecretRef must be set"
type WebhookAuth struct {
	// TokenSecretRef holds a bearer token (Authorization: Bearer).
	// +optional
	TokenSecretRef *SecretKeyRef `json:"tokenSecretRef,omitempty"`

	// HMACSecretRef holds a key for the X-Zen-* signature scheme of the
	// built-in webhooks.
	// +optional
	HMACSecretRef *SecretKeyRef `json:"hmacSecretRef,omitempty"`
}

// RateLimit is a token bucket: RPS requests per second, bursts of Burst.
type RateLimit struct {
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100000
	RPS int32 `json:"rps"`
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000
	// +optional
	Burst int32 `json:"burst,omitempty"`
}

// WatchSource names a kind to watch; each matching object is one item.
type WatchSource struct {
	// APIVersion of the watched kind, such as "v1" or "apps/v1".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	APIVersion string `json:"apiVersion"`
	// Kind of the watched objects, such as "Event".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Kind string `json:"kind"`
	// LabelSelector restricts the watch, in kubectl's syntax.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	LabelSelector string `json:"labelSelector,omitempty"`
	// FieldSelector restricts the watch, in kubectl's syntax.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	FieldSelector string `json:"fieldSelector,omitempty"`
	// AllNamespaces watches every namespace; allowed only for a source in
	// zen-watcher's own namespace. Otherwise only this namespace is watched.
	// +optional
	AllNamespaces bool `json:"allNamespaces,omitempty"`
}

// Mapping holds CEL expressions. Each sees `item` (webhook) or `object`
// (watch), and `source` ({name, namespace}).
type Mapping struct {
	// Severity must give CRITICAL, HIGH, MEDIUM, LOW or INFO.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	Severity string `json:"severity"`
	// Category must give security or compliance.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	Category string `json:"category"`
	// EventType gives the finding's type, such as "vulnerability".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	EventType string `json:"eventType"`
	// DedupKey gives the string that identifies one finding across items.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	DedupKey string `json:"dedupKey"`
	// DetectedAt gives a timestamp; defaults to the time of receipt.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	DetectedAt string `json:"detectedAt,omitempty"`
	// Resource gives a map of apiVersion, kind, name and namespace.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Resource string `json:"resource,omitempty"`
	// Details gives a map stored as the finding's details.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Details string `json:"details,omitempty"`
	// Rule gives the rule, check or identifier that produced the finding.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Rule string `json:"rule,omitempty"`
	// Title gives a one-line human summary.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Title string `json:"title,omitempty"`
	// Resolved gives a bool; true marks the finding resolved, as an
	// alert's "resolved" notification does.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Resolved string `json:"resolved,omitempty"`
	// Filter gives a bool; false drops the item, counted.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Filter string `json:"filter,omitempty"`
}

// Source types shown in ZenSourceStatus.Type.
const (
	SourceTypeWebhook = "webhook"
	SourceTypeWatch   = "watch"
)

// Reasons a ZenSource's Ready condition is False, besides the shared ones.
const (
	ReasonInvalidMapping = "InvalidMapping"
	ReasonInvalidSchema  = "InvalidSchema"
	ReasonNameConflict   = "NameConflict"
	ReasonKindNotFound   = "KindNotFound"
	ReasonForbidden      = "Forbidden"
	// ReasonNotAllowed: the spec asks for more than the source's
	// namespace may have, such as allNamespaces outside zen-watcher's own.
	ReasonNotAllowed = "NotAllowed"
)

// ZenSourceStatus is what zen-watcher observed of a ZenSource. Counters are
// written coalesced, every few seconds at most.
type ZenSourceStatus struct {
	// ObservedGeneration is the spec generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Type is webhook or watch.
	// +optional
	Type string `json:"type,omitempty"`
	// Endpoint is the intake path of a webhook source.
	// +optional
	Endpoint string `json:"endpoint,omitempty"`
	// Conditions: Ready.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// Received counts items received (webhook) or observed (watch).
	// +optional
	Received int64 `json:"received,omitempty"`
	// Stored counts findings handed on to be stored: new findings,
	// repeats and resolutions, after the daemon's own filter.
	// +optional
	Stored int64 `json:"stored,omitempty"`
	// Rejected counts items refused: mapping errors, other namespaces.
	// +optional
	Rejected int64 `json:"rejected,omitempty"`
	// LastEventTime is when the latest item was received.
	// +optional
	LastEventTime *metav1.Time `json:"lastEventTime,omitempty"`
}

// ZenSource declares, at runtime, an intake for a tool zen-watcher has no
// built-in source for: a webhook with its own credentials, or a watch on
// any kind. Its findings stay in its namespace.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=zensources,singular=zensource,shortName=zs,scope=Namespaced,categories=zen
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.status.type`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Endpoint",type=string,JSONPath=`.status.endpoint`
// +kubebuilder:printcolumn:name="Stored",type=integer,JSONPath=`.status.stored`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
type ZenSource struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ZenSourceSpec   `json:"spec"`
	Status ZenSourceStatus `json:"status,omitempty"`
}

// ZenSourceList is a list of ZenSources.
//
// +kubebuilder:object:root=true
type ZenSourceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ZenSource `json:"items"`
}

func init() {
	register(&ZenSource{}, &ZenSourceList{})
}
