package audit

import (
	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

// Event types of the built-in rules.
const (
	EventRBACModified      = "rbac-modified"
	EventPrivilegedPod     = "privileged-pod"
	EventSecretModified    = "secret-modified"
	EventSecretRead        = "secret-read"
	EventConfigMapModified = "configmap-modified"
	EventPodExec           = "pod-exec"
	EventPodAttach         = "pod-attach"
	EventPodPortForward    = "pod-portforward"
	EventAnonymousAccess   = "anonymous-access"
	EventResourceDeleted   = "resource-deleted"
	EventTokenCreated      = "serviceaccount-token-created"
	EventAccessDenied      = "access-denied"
)

// builtin is a built-in rule: its description and its test.
type builtin struct {
	Rule
	test func(*event, *evalContext) bool
}

// builtinRules is the default rule set, in evaluation order (a tie in
// severity goes to the rule listed first). Every rule but access-denied
// and anonymous-access matches only requests that succeeded: code below
// 400 (or none) and no "forbid" decision. A refused attempt is an
// access-denied finding instead, so that a finding never claims a change
// that did not happen.
//
// The table in the README is this list (TestREADMETable prints it);
// change the two together.
var builtinRules = []builtin{
	{Rule{Name: "cluster-admin-binding", EventType: EventRBACModified, Severity: zenv1.SeverityCritical,
		Match: "create, update or patch of a rolebinding or clusterrolebinding whose roleRef, in requestObject or " +
			"responseObject, is ClusterRole cluster-admin (needs audit level Request or RequestResponse)"},
		func(e *event, x *evalContext) bool {
			return isBindingWrite(e) && succeeded(e) && x.bindsClusterAdmin()
		}},
	{Rule{Name: "privileged-pod", EventType: EventPrivilegedPod, Severity: zenv1.SeverityCritical, SkipTrusted: true,
		Match: "create of a pod (or update/patch of pods/ephemeralcontainers) with a privileged container, init " +
			"container or ephemeral container (needs level Request or RequestResponse)"},
		func(e *event, x *evalContext) bool {
			return isPodWrite(e) && succeeded(e) && x.pod().privileged
		}},
	{Rule{Name: "host-access-pod", EventType: EventPrivilegedPod, Severity: zenv1.SeverityHigh, SkipTrusted: true,
		Match: "the same pod writes with hostPID, hostNetwork, hostIPC or a hostPath volume (needs level Request or RequestResponse)"},
		func(e *event, x *evalContext) bool {
			return isPodWrite(e) && succeeded(e) && x.pod().hostAccess()
		}},
	{Rule{Name: "rbac-modified", EventType: EventRBACModified, Severity: zenv1.SeverityHigh, SkipTrusted: true,
		Match: "create, update, patch, delete or deletecollection of anything in rbac.authorization.k8s.io"},
		func(e *event, _ *evalContext) bool {
			return isWrite(e.verb) && e.hasObjectRef && e.objectRef.apiGroup == groupRBAC && succeeded(e)
		}},
	{Rule{Name: "secret-modified", EventType: EventSecretModified, Severity: zenv1.SeverityHigh, SkipTrusted: true,
		Match: "create, update, patch, delete or deletecollection of secrets"},
		func(e *event, _ *evalContext) bool {
			return isWrite(e.verb) && on(e, "", "secrets") && succeeded(e)
		}},
	{Rule{Name: "pod-exec", EventType: EventPodExec, Severity: zenv1.SeverityHigh,
		Match: "any request on pods/exec"},
		func(e *event, _ *evalContext) bool { return onSub(e, "", "pods", "exec") && succeeded(e) }},
	{Rule{Name: "pod-attach", EventType: EventPodAttach, Severity: zenv1.SeverityHigh,
		Match: "any request on pods/attach"},
		func(e *event, _ *evalContext) bool { return onSub(e, "", "pods", "attach") && succeeded(e) }},
	{Rule{Name: "pod-portforward", EventType: EventPodPortForward, Severity: zenv1.SeverityHigh,
		Match: "any request on pods/portforward"},
		func(e *event, _ *evalContext) bool { return onSub(e, "", "pods", "portforward") && succeeded(e) }},
	{Rule{Name: "anonymous-access", EventType: EventAnonymousAccess, Severity: zenv1.SeverityHigh,
		Match: "user system:anonymous or group system:unauthenticated, allowed (code below 400, or no code and " +
			"decision allow), except the public health, version and OIDC discovery paths"},
		func(e *event, _ *evalContext) bool {
			return isAnonymous(e) && anonymousAllowed(e) && !isPublicInfo(e)
		}},
	{Rule{Name: "secret-list-all", EventType: EventSecretRead, Severity: zenv1.SeverityHigh, SkipTrusted: true,
		Match: "list or watch of secrets across all namespaces"},
		func(e *event, _ *evalContext) bool {
			return isListOrWatch(e.verb) && on(e, "", "secrets") && len(e.objectRef.namespace) == 0 && succeeded(e)
		}},
	{Rule{Name: "sensitive-delete", EventType: EventResourceDeleted, Severity: zenv1.SeverityHigh, SkipTrusted: true,
		Match: "delete or deletecollection of namespaces, customresourcedefinitions, or admission webhook " +
			"configurations and policies (validating/mutating webhook configurations, validating admission policies and bindings)"},
		func(e *event, _ *evalContext) bool { return isDelete(e.verb) && isSensitive(e) && succeeded(e) }},
	{Rule{Name: "secret-read", EventType: EventSecretRead, Severity: zenv1.SeverityMedium, SkipTrusted: true,
		Match: "get of a secret, or list or watch of secrets in one namespace"},
		func(e *event, _ *evalContext) bool {
			return (e.verb == "get" || isListOrWatch(e.verb) && len(e.objectRef.namespace) > 0) &&
				on(e, "", "secrets") && succeeded(e)
		}},
	{Rule{Name: "configmap-modified", EventType: EventConfigMapModified, Severity: zenv1.SeverityMedium, SkipTrusted: true,
		Match: "create, update, patch, delete or deletecollection of configmaps"},
		func(e *event, _ *evalContext) bool { return isWrite(e.verb) && on(e, "", "configmaps") && succeeded(e) }},
	{Rule{Name: "serviceaccount-token-created", EventType: EventTokenCreated, Severity: zenv1.SeverityMedium, SkipTrusted: true,
		Match: "create on serviceaccounts/token (TokenRequest)"},
		func(e *event, _ *evalContext) bool {
			return e.verb == "create" && onSub(e, "", "serviceaccounts", "token") && succeeded(e)
		}},
	{Rule{Name: "access-denied", EventType: EventAccessDenied, Severity: zenv1.SeverityMedium,
		Match: `responseStatus.code 401 or 403, or annotation authorization.k8s.io/decision "forbid"`},
		func(e *event, _ *evalContext) bool { return isDenied(e) }},
	{Rule{Name: "resource-deleted", EventType: EventResourceDeleted, Severity: zenv1.SeverityMedium, SkipTrusted: true,
		Match: "delete or deletecollection of any resource"},
		func(e *event, _ *evalContext) bool {
			return isDelete(e.verb) && e.hasObjectRef && len(e.objectRef.resource) > 0 && succeeded(e)
		}},
}

// API groups the rules name.
const (
	groupRBAC          = "rbac.authorization.k8s.io"
	groupAPIExtensions = "apiextensions.k8s.io"
	groupAdmission     = "admissionregistration.k8s.io"
)

func isWrite(verb string) bool {
	switch verb {
	case "create", "update", "patch", "delete", "deletecollection":
		return true
	}
	return false
}

func isDelete(verb string) bool {
	return verb == "delete" || verb == "deletecollection"
}

func isListOrWatch(verb string) bool {
	return verb == "list" || verb == "watch"
}

// on reports whether e concerns the resource itself (no subresource) in
// the API group ("" is the core group).
func on(e *event, group, resource string) bool {
	return onSub(e, group, resource, "")
}

// onSub reports whether e concerns the subresource of the resource.
func onSub(e *event, group, resource, sub string) bool {
	r := &e.objectRef
	return e.hasObjectRef && r.resource == resource && r.subresource == sub && r.apiGroup == group
}

// succeeded reports whether the request went through: not refused by the
// authorizer and answered below 400. An event with no code (a synthetic
// one; the API server sets it from ResponseStarted on) counts as
// succeeded.
func succeeded(e *event) bool {
	return e.decision != "forbid" && e.code >= 0 && e.code < 400
}

// isDenied reports a refused request: unauthenticated (401), forbidden
// (403, by the authorizer or by admission) or an authorizer "forbid".
func isDenied(e *event) bool {
	return e.code == 401 || e.code == 403 || e.decision == "forbid"
}

func isAnonymous(e *event) bool {
	if e.user.username == "system:anonymous" {
		return true
	}
	for _, g := range e.user.groups {
		if g == "system:unauthenticated" {
			return true
		}
	}
	return false
}

// anonymousAllowed is stricter than succeeded: most anonymous requests are
// refused, so without a code only an explicit "allow" counts.
func anonymousAllowed(e *event) bool {
	if e.code != 0 {
		return e.code > 0 && e.code < 400 && e.decision != "forbid"
	}
	return e.decision == "allow"
}

// isPublicInfo reports a non-resource request for the paths that the
// default ClusterRoles system:public-info-viewer and
// system:service-account-issuer-discovery open to unauthenticated users:
// load balancers probe them anonymously all day.
func isPublicInfo(e *event) bool {
	if e.hasObjectRef {
		return false
	}
	path := e.requestURI
	for i, c := range path {
		if c == '?' {
			path = path[:i]
			break
		}
	}
	switch path {
	case "/healthz", "/livez", "/readyz", "/version", "/version/",
		"/.well-known/openid-configuration", "/.well-known/openid-configuration/", "/openid/v1/jwks", "/openid/v1/jwks/":
		return true
	}
	return false
}

// isSensitive reports the objects whose deletion removes a whole
// namespace, a whole API, or an admission control.
func isSensitive(e *event) bool {
	if !e.hasObjectRef || len(e.objectRef.subresource) > 0 {
		return false
	}
	r := &e.objectRef
	switch r.apiGroup {
	case "":
		return r.resource == "namespaces"
	case groupAPIExtensions:
		return r.resource == "customresourcedefinitions"
	case groupAdmission:
		switch r.resource {
		case "validatingwebhookconfigurations", "mutatingwebhookconfigurations",
			"validatingadmissionpolicies", "validatingadmissionpolicybindings",
			"mutatingadmissionpolicies", "mutatingadmissionpolicybindings":
			return true
		}
	}
	return false
}

// isBindingWrite reports a create, update or patch of a role binding.
func isBindingWrite(e *event) bool {
	switch e.verb {
	case "create", "update", "patch":
	default:
		return false
	}
	return on(e, groupRBAC, "clusterrolebindings") || on(e, groupRBAC, "rolebindings")
}

// isPodWrite reports a request whose body is a pod spec: a pod create, or
// the update or patch that adds an ephemeral container (kubectl debug).
func isPodWrite(e *event) bool {
	switch {
	case on(e, "", "pods"):
		return e.verb == "create"
	case onSub(e, "", "pods", "ephemeralcontainers"):
		return e.verb == "update" || e.verb == "patch"
	}
	return false
}
