package checkov

import (
	"strings"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

// kubernetesFrameworks are the check types whose resource ids name
// Kubernetes objects as Kind.namespace.name. Other frameworks use other
// schemes that can also contain dots (a Terraform module address such as
// module.vpc.aws_vpc.this would read as kind "module"), so their resource
// stays in details only. An empty check type is a block that did not say;
// such output comes from the Kubernetes runner in practice.
var kubernetesFrameworks = map[string]bool{
	"kubernetes": true,
	"helm":       true,
	"kustomize":  true,
	"":           true,
}

// clusterScopedKinds are kinds that have no namespace. Checkov writes
// "default" for any object without metadata.namespace, cluster-scoped ones
// included (kubernetes_utils.get_resource_id), so for these kinds that
// segment is dropped rather than reported as a namespace.
var clusterScopedKinds = map[string]bool{
	"APIService":                       true,
	"CSIDriver":                        true,
	"ClusterRole":                      true,
	"ClusterRoleBinding":               true,
	"CustomResourceDefinition":         true,
	"IngressClass":                     true,
	"MutatingWebhookConfiguration":     true,
	"Namespace":                        true,
	"Node":                             true,
	"PersistentVolume":                 true,
	"PodSecurityPolicy":                true,
	"PriorityClass":                    true,
	"RuntimeClass":                     true,
	"StorageClass":                     true,
	"ValidatingAdmissionPolicy":        true,
	"ValidatingAdmissionPolicyBinding": true,
	"ValidatingWebhookConfiguration":   true,
}

// resourceRef reads checkov's Kind.namespace.name. Kinds and namespaces
// never contain dots; names may, so the name is everything after the second
// dot. It returns nil for a file path, for fewer than three parts, for an
// empty part, for a kind that is not an identifier, and for frameworks
// that do not describe Kubernetes objects.
func resourceRef(raw, framework string) *zenv1.ResourceRef {
	if !kubernetesFrameworks[framework] || strings.Contains(raw, "/") {
		return nil
	}
	kind, rest, ok := strings.Cut(raw, ".")
	if !ok {
		return nil
	}
	namespace, name, ok := strings.Cut(rest, ".")
	if !ok || kind == "" || namespace == "" || name == "" || !isKind(kind) {
		return nil
	}
	if clusterScopedKinds[kind] {
		namespace = ""
	}
	return &zenv1.ResourceRef{Kind: kind, Namespace: namespace, Name: name}
}

// isKind reports whether s looks like a Kubernetes kind: an ASCII letter
// followed by letters and digits.
func isKind(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}
