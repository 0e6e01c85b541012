package falco

import zenv1 "github.com/kube-zen/zen-watcher/api/v1"

// k8sAuditSource is the event source of the k8saudit plugins (k8saudit,
// k8saudit-eks, -gke, -aks, -ovh…), whose fields are ka.*.
const k8sAuditSource = "k8s_audit"

// identity is what an alert concerns: the object, when it names one, and
// the dedup key.
type identity struct {
	resource *zenv1.ResourceRef
	key      string
}

// maxStackKey is the dedup key length built without a heap buffer.
const maxStackKey = 256

// identify derives the resource and dedup key from the alert's cleaned
// fields. See the package doc for the key; it never holds the time, a pid
// or the output text, which change with every occurrence.
func identify(a *alert) identity {
	fields := a.OutputFields
	var buf [maxStackKey]byte
	key := append(buf[:0], a.Rule...)
	if a.Source == k8sAuditSource {
		for _, f := range [...]string{"ka.user.name", "ka.verb", "ka.target.namespace", "ka.target.resource", "ka.target.subresource", "ka.target.name"} {
			key = appendPart(key, text(fields, f))
		}
		return identity{resource: auditTarget(fields), key: string(key)}
	}
	ns, pod := text(fields, "k8s.ns.name"), text(fields, "k8s.pod.name")
	key = appendPart(key, ns)
	key = appendPart(key, pod)
	key = appendPart(key, first(fields, "container.name", "container.id"))
	key = appendPart(key, first(fields, "proc.exepath", "proc.exe", "proc.name", "proc.cmdline"))
	var ref *zenv1.ResourceRef
	if pod != "" {
		ref = &zenv1.ResourceRef{APIVersion: "v1", Kind: "Pod", Name: pod, Namespace: ns}
	} else {
		// A host-level alert: the same rule and process on two nodes are
		// two findings.
		host := a.Hostname
		if host == "" {
			host = text(fields, "evt.hostname")
		}
		key = appendPart(key, host)
	}
	return identity{resource: ref, key: string(key)}
}

// appendPart appends "/" and v, unless v is empty.
func appendPart(key []byte, v string) []byte {
	if v == "" {
		return key
	}
	return append(append(key, '/'), v...)
}

// text is a string field; "" when it is absent, not a string, or "<NA>".
func text(fields map[string]any, name string) string {
	s, _ := fields[name].(string)
	if s == notAvailable {
		return ""
	}
	return s
}

// first is the first of the named fields that has a value.
func first(fields map[string]any, names ...string) string {
	for _, n := range names {
		if s := text(fields, n); s != "" {
			return s
		}
	}
	return ""
}

// auditTarget is the object a k8saudit alert is about: ka.target.name in
// ka.target.namespace, of the kind ka.target.resource names. A subresource
// (pods/exec) concerns its parent object, so it does not change the kind.
// nil when the alert names no object (a list, or a create whose name the
// server picks).
func auditTarget(fields map[string]any) *zenv1.ResourceRef {
	name, resource := text(fields, "ka.target.name"), text(fields, "ka.target.resource")
	if name == "" || resource == "" {
		return nil
	}
	ref := &zenv1.ResourceRef{Name: name, Namespace: text(fields, "ka.target.namespace")}
	if k, ok := kinds[resource]; ok {
		ref.APIVersion, ref.Kind = k.apiVersion, k.kind
	} else {
		// Falco gives the resource, not the group or the kind, and a
		// plural does not make a singular reliably (ingresses,
		// policies); the resource as sent is honest and still unique.
		ref.Kind = resource
	}
	return ref
}

type kind struct{ apiVersion, kind string }

// kinds are the resources Falco's k8s_audit rules watch, and the other
// built-in ones an alert may name. Read only.
var kinds = map[string]kind{
	"pods":                            {"v1", "Pod"},
	"services":                        {"v1", "Service"},
	"secrets":                         {"v1", "Secret"},
	"configmaps":                      {"v1", "ConfigMap"},
	"serviceaccounts":                 {"v1", "ServiceAccount"},
	"namespaces":                      {"v1", "Namespace"},
	"nodes":                           {"v1", "Node"},
	"events":                          {"v1", "Event"},
	"endpoints":                       {"v1", "Endpoints"},
	"persistentvolumes":               {"v1", "PersistentVolume"},
	"persistentvolumeclaims":          {"v1", "PersistentVolumeClaim"},
	"replicationcontrollers":          {"v1", "ReplicationController"},
	"deployments":                     {"apps/v1", "Deployment"},
	"daemonsets":                      {"apps/v1", "DaemonSet"},
	"statefulsets":                    {"apps/v1", "StatefulSet"},
	"replicasets":                     {"apps/v1", "ReplicaSet"},
	"jobs":                            {"batch/v1", "Job"},
	"cronjobs":                        {"batch/v1", "CronJob"},
	"ingresses":                       {"networking.k8s.io/v1", "Ingress"},
	"networkpolicies":                 {"networking.k8s.io/v1", "NetworkPolicy"},
	"roles":                           {"rbac.authorization.k8s.io/v1", "Role"},
	"rolebindings":                    {"rbac.authorization.k8s.io/v1", "RoleBinding"},
	"clusterroles":                    {"rbac.authorization.k8s.io/v1", "ClusterRole"},
	"clusterrolebindings":             {"rbac.authorization.k8s.io/v1", "ClusterRoleBinding"},
	"mutatingwebhookconfigurations":   {"admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"},
	"validatingwebhookconfigurations": {"admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"},
	"customresourcedefinitions":       {"apiextensions.k8s.io/v1", "CustomResourceDefinition"},
	"certificatesigningrequests":      {"certificates.k8s.io/v1", "CertificateSigningRequest"},
}
