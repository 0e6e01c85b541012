package v1alpha1

// SecretKeyRef names one key of a Secret in the referring object's own
// namespace. There is no namespace field on purpose: a tenant can only
// point at its own Secrets.
type SecretKeyRef struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// Key within the Secret's data.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key"`
}

// ConditionReady is the condition type both kinds report: True when the
// object is in effect, False with one of the reasons below otherwise.
const ConditionReady = "Ready"

// Reasons shared by ZenSource and ZenOutput for a Ready condition.
const (
	ReasonReady = "Ready"
	// ReasonSecretNotFound: a referenced Secret or key does not exist.
	ReasonSecretNotFound = "SecretNotFound"
	// ReasonSecretForbidden: zen-watcher may not get the Secret; the
	// message names the RoleBinding that grants it.
	ReasonSecretForbidden = "SecretForbidden"
)
