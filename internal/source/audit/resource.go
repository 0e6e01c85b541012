package audit

import (
	"strings"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

// kindInfo is the kind of a resource and whether it is cluster-scoped.
type kindInfo struct {
	kind    string
	cluster bool
}

// kinds maps the plural resource names of the built-in APIs, as audit
// events name them, to their kinds. The event carries no kind, and the
// API server's own mapping (discovery) is not at hand in a pure parser;
// kindOf guesses for the rest. Read only.
var kinds = map[string]kindInfo{
	// core
	"pods":                   {"Pod", false},
	"secrets":                {"Secret", false},
	"configmaps":             {"ConfigMap", false},
	"services":               {"Service", false},
	"serviceaccounts":        {"ServiceAccount", false},
	"endpoints":              {"Endpoints", false},
	"events":                 {"Event", false},
	"persistentvolumeclaims": {"PersistentVolumeClaim", false},
	"replicationcontrollers": {"ReplicationController", false},
	"limitranges":            {"LimitRange", false},
	"resourcequotas":         {"ResourceQuota", false},
	"podtemplates":           {"PodTemplate", false},
	"namespaces":             {"Namespace", true},
	"nodes":                  {"Node", true},
	"persistentvolumes":      {"PersistentVolume", true},
	// apps, batch, autoscaling, policy
	"deployments":                       {"Deployment", false},
	"daemonsets":                        {"DaemonSet", false},
	"statefulsets":                      {"StatefulSet", false},
	"replicasets":                       {"ReplicaSet", false},
	"controllerrevisions":               {"ControllerRevision", false},
	"jobs":                              {"Job", false},
	"cronjobs":                          {"CronJob", false},
	"horizontalpodautoscalers":          {"HorizontalPodAutoscaler", false},
	"poddisruptionbudgets":              {"PodDisruptionBudget", false},
	"leases":                            {"Lease", false},
	"endpointslices":                    {"EndpointSlice", false},
	"ingresses":                         {"Ingress", false},
	"networkpolicies":                   {"NetworkPolicy", false},
	"roles":                             {"Role", false},
	"rolebindings":                      {"RoleBinding", false},
	"clusterroles":                      {"ClusterRole", true},
	"clusterrolebindings":               {"ClusterRoleBinding", true},
	"customresourcedefinitions":         {"CustomResourceDefinition", true},
	"apiservices":                       {"APIService", true},
	"ingressclasses":                    {"IngressClass", true},
	"storageclasses":                    {"StorageClass", true},
	"csidrivers":                        {"CSIDriver", true},
	"runtimeclasses":                    {"RuntimeClass", true},
	"priorityclasses":                   {"PriorityClass", true},
	"certificatesigningrequests":        {"CertificateSigningRequest", true},
	"validatingwebhookconfigurations":   {"ValidatingWebhookConfiguration", true},
	"mutatingwebhookconfigurations":     {"MutatingWebhookConfiguration", true},
	"validatingadmissionpolicies":       {"ValidatingAdmissionPolicy", true},
	"validatingadmissionpolicybindings": {"ValidatingAdmissionPolicyBinding", true},
	"mutatingadmissionpolicies":         {"MutatingAdmissionPolicy", true},
	"mutatingadmissionpolicybindings":   {"MutatingAdmissionPolicyBinding", true},
}

// resourceRef is the object an event concerns (for a subresource such as
// pods/exec, the pod), or nil when the objectRef names no single object:
// a list, a create whose name the server generates, a non-resource URL.
func resourceRef(e *event) *zenv1.ResourceRef {
	r := &e.objectRef
	if !e.hasObjectRef || len(r.resource) == 0 || len(r.name) == 0 {
		return nil
	}
	info := kindOf(r.resource)
	ref := &zenv1.ResourceRef{Kind: info.kind, Name: r.name}
	if !info.cluster {
		// A namespace's own events name it as their namespace too.
		ref.Namespace = r.namespace
	}
	switch {
	case len(r.apiVersion) == 0:
	case len(r.apiGroup) == 0:
		ref.APIVersion = r.apiVersion
	default:
		ref.APIVersion = r.apiGroup + "/" + r.apiVersion
	}
	return ref
}

// kindOf looks the resource up, and otherwise guesses the kind from the
// plural (widgets → Widget, policies → Policy, classes → Class). A guess
// cannot restore inner capitals (certificaterequests gives
// Certificaterequest), which is why the common resources are listed.
func kindOf(resource string) kindInfo {
	if k, ok := kinds[resource]; ok {
		return k
	}
	singular := resource
	switch {
	case strings.HasSuffix(resource, "ies") && len(resource) > 3:
		singular = resource[:len(resource)-3] + "y"
	case strings.HasSuffix(resource, "sses"), strings.HasSuffix(resource, "xes"),
		strings.HasSuffix(resource, "ches"), strings.HasSuffix(resource, "shes"):
		singular = resource[:len(resource)-2]
	case strings.HasSuffix(resource, "s") && len(resource) > 1:
		singular = resource[:len(resource)-1]
	}
	if c := singular[0]; 'a' <= c && c <= 'z' {
		singular = string(c-'a'+'A') + singular[1:]
	}
	return kindInfo{kind: singular}
}
