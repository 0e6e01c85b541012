package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ZenOutputResource is the plural resource name, as used in discovery and RBAC.
const ZenOutputResource = "zenoutputs"

// OutputTrigger names a change of a finding that an output delivers.
// +kubebuilder:validation:Enum=Created;Escalated;Resolved
type OutputTrigger string

// Triggers an output may select in spec.on.
const (
	// OutputOnCreated: the finding was stored for the first time.
	OutputOnCreated OutputTrigger = "Created"
	// OutputOnEscalated: its severity rose, or its count crossed a power of 10.
	OutputOnEscalated OutputTrigger = "Escalated"
	// OutputOnResolved: its source reported it gone.
	OutputOnResolved OutputTrigger = "Resolved"
)

// ZenOutputSpec declares one destination (exactly one of Alertmanager,
// Webhook or Slack) and which findings it receives.
//
// +kubebuilder:validation:XValidation:rule="(has(self.alertmanager) ? 1 : 0) + (has(self.webhook) ? 1 : 0) + (has(self.slack) ? 1 : 0) == 1",message="exactly one of alertmanager, webhook or slack must be set"
type ZenOutputSpec struct {
	// Alertmanager receives findings as alerts (POST /api/v2/alerts).
	// +optional
	Alertmanager *AlertmanagerOutput `json:"alertmanager,omitempty"`

	// Webhook receives findings as CloudEvents, signed like zen-watcher's
	// own intake, so one zen-watcher can feed another.
	// +optional
	Webhook *WebhookOutput `json:"webhook,omitempty"`

	// Slack receives findings as Block Kit messages on an incoming webhook.
	// +optional
	Slack *SlackOutput `json:"slack,omitempty"`

	// MinSeverity is the lowest severity delivered; all when empty.
	// +kubebuilder:validation:Enum=CRITICAL;HIGH;MEDIUM;LOW;INFO
	// +optional
	MinSeverity string `json:"minSeverity,omitempty"`

	// Sources restricts delivery to findings of these sources (trivy,
	// falco, or a dynamic source's name); all when empty.
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=63
	// +listType=set
	// +optional
	Sources []string `json:"sources,omitempty"`

	// Filter is a CEL expression over `finding`, in the environment of
	// FILTER_EXPRESSION; only findings for which it is true are delivered.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Filter string `json:"filter,omitempty"`

	// On lists the changes delivered; all three when empty.
	// +kubebuilder:validation:MaxItems=3
	// +listType=set
	// +optional
	On []OutputTrigger `json:"on,omitempty"`

	// RateLimit bounds the findings sent per minute; what exceeds it waits
	// in the backlog.
	// +optional
	RateLimit *OutputRateLimit `json:"rateLimit,omitempty"`
}

// OutputRateLimit is a budget of findings per minute.
type OutputRateLimit struct {
	// PerMinute findings at most, in bursts of up to the same number.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100000
	PerMinute int32 `json:"perMinute"`
}

// AlertmanagerOutput is an Alertmanager's v2 API.
type AlertmanagerOutput struct {
	// URL of Alertmanager, such as http://alertmanager.monitoring:9093;
	// /api/v2/alerts is appended.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && (self.startsWith('http://') || self.startsWith('https://'))",message="url must be an http or https URL"
	URL string `json:"url"`

	// TLS verifies Alertmanager's certificate and presents a client one.
	// +optional
	TLS *OutputTLS `json:"tls,omitempty"`

	// BearerTokenSecretRef holds a token sent as Authorization: Bearer.
	// +optional
	BearerTokenSecretRef *SecretKeyRef `json:"bearerTokenSecretRef,omitempty"`
}

// OutputTLS names the Secrets, in the output's namespace, that secure a
// connection. Without it, the system's roots verify the server.
//
// +kubebuilder:validation:XValidation:rule="has(self.certSecretRef) == has(self.keySecretRef)",message="certSecretRef and keySecretRef go together"
type OutputTLS struct {
	// CASecretRef holds PEM certificates that verify the server, instead
	// of the system's roots.
	// +optional
	CASecretRef *SecretKeyRef `json:"caSecretRef,omitempty"`
	// CertSecretRef holds a PEM client certificate.
	// +optional
	CertSecretRef *SecretKeyRef `json:"certSecretRef,omitempty"`
	// KeySecretRef holds the client certificate's PEM private key.
	// +optional
	KeySecretRef *SecretKeyRef `json:"keySecretRef,omitempty"`
}

// WebhookOutput is an HTTP receiver of signed CloudEvents, such as another
// zen-watcher's /api/v1/sources/{namespace}/{name}.
type WebhookOutput struct {
	// URL receives one POST per batch.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && (self.startsWith('http://') || self.startsWith('https://'))",message="url must be an http or https URL"
	URL string `json:"url"`

	// HMACSecretRef holds the key that signs each request with the X-Zen-*
	// scheme zen-watcher's intake verifies.
	// +optional
	HMACSecretRef *SecretKeyRef `json:"hmacSecretRef,omitempty"`

	// TokenSecretRef holds a token sent as Authorization: Bearer.
	// +optional
	TokenSecretRef *SecretKeyRef `json:"tokenSecretRef,omitempty"`

	// Headers are added to every request.
	// +kubebuilder:validation:MaxProperties=32
	// +optional
	Headers map[string]string `json:"headers,omitempty"`
}

// SlackOutput is a Slack incoming webhook.
type SlackOutput struct {
	// WebhookURLSecretRef holds the incoming webhook's URL, a credential.
	WebhookURLSecretRef SecretKeyRef `json:"webhookURLSecretRef"`
}

// Output types shown in ZenOutputStatus.Type.
const (
	OutputTypeAlertmanager = "alertmanager"
	OutputTypeWebhook      = "webhook"
	OutputTypeSlack        = "slack"
)

// ConditionDelivering is True while the output's receiver accepts what is
// sent, False while deliveries fail.
const ConditionDelivering = "Delivering"

// Reasons of a ZenOutput's conditions, besides the shared ones.
const (
	// ReasonInvalidSpec: the filter does not compile, a URL or a
	// certificate is unusable.
	ReasonInvalidSpec = "InvalidSpec"
	// ReasonDelivered: the latest batch was accepted.
	ReasonDelivered = "Delivered"
	// ReasonRetrying: the latest batch failed and will be sent again.
	ReasonRetrying = "Retrying"
	// ReasonRejected: the receiver refused a batch for good (a 4xx other
	// than 408 and 429); it was counted as failed and skipped.
	ReasonRejected = "Rejected"
	// ReasonIdle: nothing has been sent yet.
	ReasonIdle = "Idle"
)

// OutputProgress is how far an output's delivery has come, kept in the API
// server so that a restart or a new leader resumes instead of losing or
// repeating everything: every change of a finding up to ResourceVersion is
// delivered, dropped by the backlog policy, or needed no delivery.
type OutputProgress struct {
	// ResourceVersion of the last ZenAgentEvent change fully handled;
	// empty when none had been seen, so that every stored one is due.
	ResourceVersion string `json:"resourceVersion"`
	// CreatedBefore is the newest creationTimestamp of a finding handled
	// up to ResourceVersion: a finding changed later but created no later
	// than this has had its Created delivery.
	// +optional
	CreatedBefore *metav1.Time `json:"createdBefore,omitempty"`
}

// ZenOutputStatus is what zen-watcher observed of a ZenOutput. It is
// written coalesced, every few seconds at most.
type ZenOutputStatus struct {
	// ObservedGeneration is the spec generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Type is alertmanager, webhook or slack.
	// +optional
	Type string `json:"type,omitempty"`
	// Conditions: Ready, Delivering.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// Delivered counts findings the receiver accepted.
	// +optional
	Delivered int64 `json:"delivered,omitempty"`
	// Failed counts findings the receiver refused for good.
	// +optional
	Failed int64 `json:"failed,omitempty"`
	// Dropped counts findings the full backlog gave up.
	// +optional
	Dropped int64 `json:"dropped,omitempty"`
	// Backlog is the number of findings waiting for delivery.
	// +optional
	Backlog int64 `json:"backlog,omitempty"`
	// LastDeliveryTime is when the receiver last accepted a batch.
	// +optional
	LastDeliveryTime *metav1.Time `json:"lastDeliveryTime,omitempty"`
	// LastError is the latest failure, cleared by the next success.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	LastError string `json:"lastError,omitempty"`
	// Progress is the delivery watermark.
	// +optional
	Progress *OutputProgress `json:"progress,omitempty"`
}

// ZenOutput declares, at runtime, a destination for findings: an
// Alertmanager, a signed webhook (another zen-watcher, a hub) or Slack. In
// zen-watcher's own namespace it receives findings of every namespace;
// elsewhere only its own namespace's.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=zenoutputs,singular=zenoutput,shortName=zo,scope=Namespaced,categories=zen
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.status.type`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Delivering",type=string,JSONPath=`.status.conditions[?(@.type=="Delivering")].status`
// +kubebuilder:printcolumn:name="Delivered",type=integer,JSONPath=`.status.delivered`
// +kubebuilder:printcolumn:name="Failed",type=integer,JSONPath=`.status.failed`
// +kubebuilder:printcolumn:name="Backlog",type=integer,JSONPath=`.status.backlog`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Last-Delivery",type=date,JSONPath=`.status.lastDeliveryTime`,priority=1
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Last-Error",type=string,JSONPath=`.status.lastError`,priority=1
type ZenOutput struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ZenOutputSpec   `json:"spec"`
	Status ZenOutputStatus `json:"status,omitempty"`
}

// ZenOutputList is a list of ZenOutputs.
//
// +kubebuilder:object:root=true
type ZenOutputList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ZenOutput `json:"items"`
}

func init() {
	register(&ZenOutput{}, &ZenOutputList{})
}
