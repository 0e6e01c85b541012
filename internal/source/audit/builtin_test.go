package audit

import (
	"os"
	"regexp"
	"strings"
	"testing"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

// pod is a Pod request body with the given spec.
func pod(spec map[string]any) map[string]any {
	return map[string]any{"kind": "Pod", "apiVersion": "v1", "metadata": map[string]any{"name": "x", "namespace": "shop"}, "spec": spec}
}

func containers(sc map[string]any) []any {
	return []any{map[string]any{"name": "app", "image": "nginx"}, map[string]any{"name": "side", "image": "busybox", "securityContext": sc}}
}

func roleBinding(kind, name string) map[string]any {
	return map[string]any{"kind": "ClusterRoleBinding", "roleRef": map[string]any{"apiGroup": groupRBAC, "kind": kind, "name": name},
		"subjects": []any{map[string]any{"kind": "User", "name": "mallory"}}}
}

var (
	secretRef   = objRef("secrets", "shop", "db")
	podCreate   = map[string]any{"verb": "create", "level": "Request", "objectRef": objRef("pods", "shop", "x")}
	bindingRef  = objRef("clusterrolebindings", "", "pwn", groupRBAC)
	anonymous   = withUser("system:anonymous", "system:unauthenticated")
	nonResource = map[string]any{"objectRef": nil, "requestURI": "/healthz"}
	denied      = map[string]any{"responseStatus": map[string]any{"code": 403}}
	notFound    = map[string]any{"responseStatus": map[string]any{"code": 404}}
	noCode      = map[string]any{"responseStatus": nil}
	forbid      = map[string]any{"responseStatus": nil, "annotations": map[string]any{"authorization.k8s.io/decision": "forbid"}}
)

// ruleCase is one event and the rule that must be chosen for it; an
// empty rule means no rule matches.
type ruleCase struct {
	name string
	over map[string]any
	rule string
	// eventType and severity are checked too, so the table cannot drift
	// from what the README promises.
	eventType string
	severity  zenv1.Severity
}

var ruleCases = []ruleCase{
	// secret-read, secret-list-all and trusted users
	{"secret get by an untrusted user", map[string]any{"objectRef": secretRef}, "secret-read", EventSecretRead, zenv1.SeverityMedium},
	{"secret get by a service account elsewhere", map[string]any{"objectRef": secretRef, "user": withUser("system:serviceaccount:shop:app")}, "secret-read", EventSecretRead, zenv1.SeverityMedium},
	{"secret get by a trusted user", map[string]any{"objectRef": secretRef, "user": withUser("system:kube-scheduler")}, "", "", ""},
	{"secret get by a trusted node (wildcard)", map[string]any{"objectRef": secretRef, "user": withUser("system:node:worker-1", "system:nodes")}, "", "", ""},
	{"secret get by a kube-system service account (wildcard)", map[string]any{"objectRef": secretRef, "user": withUser("system:serviceaccount:kube-system:generic-garbage-collector")}, "", "", ""},
	{"a wildcard needs its whole prefix", map[string]any{"objectRef": secretRef, "user": withUser("system:node")}, "secret-read", EventSecretRead, zenv1.SeverityMedium},
	{"secret get without a user name", map[string]any{"objectRef": secretRef, "user": map[string]any{}}, "secret-read", EventSecretRead, zenv1.SeverityMedium},
	{"secret get that found nothing", merge(notFound, map[string]any{"objectRef": secretRef}), "", "", ""},
	{"secret list in a namespace", map[string]any{"verb": "list", "objectRef": objRef("secrets", "shop", "")}, "secret-read", EventSecretRead, zenv1.SeverityMedium},
	{"secret watch in all namespaces", map[string]any{"verb": "watch", "objectRef": objRef("secrets", "", "")}, "secret-list-all", EventSecretRead, zenv1.SeverityHigh},
	{"secret list in all namespaces by a trusted user", map[string]any{"verb": "list", "objectRef": objRef("secrets", "", ""), "user": withUser("system:apiserver")}, "", "", ""},
	{"secrets of another API group", map[string]any{"objectRef": objRef("secrets", "shop", "db", "example.com")}, "", "", ""},
	// secret-modified, configmap-modified
	{"secret create", map[string]any{"verb": "create", "objectRef": secretRef}, "secret-modified", EventSecretModified, zenv1.SeverityHigh},
	{"secret patch", map[string]any{"verb": "patch", "objectRef": secretRef}, "secret-modified", EventSecretModified, zenv1.SeverityHigh},
	{"secret deletecollection", map[string]any{"verb": "deletecollection", "objectRef": objRef("secrets", "shop", "")}, "secret-modified", EventSecretModified, zenv1.SeverityHigh},
	{"secret update by a trusted user", map[string]any{"verb": "update", "objectRef": secretRef, "user": withUser("system:kube-controller-manager")}, "", "", ""},
	{"configmap update", map[string]any{"verb": "update", "objectRef": objRef("configmaps", "shop", "cfg")}, "configmap-modified", EventConfigMapModified, zenv1.SeverityMedium},
	{"configmap get", map[string]any{"objectRef": objRef("configmaps", "shop", "cfg")}, "", "", ""},
	// rbac
	{"role create", map[string]any{"verb": "create", "objectRef": objRef("roles", "shop", "r", groupRBAC)}, "rbac-modified", EventRBACModified, zenv1.SeverityHigh},
	{"clusterrole delete", map[string]any{"verb": "delete", "objectRef": objRef("clusterroles", "", "r", groupRBAC)}, "rbac-modified", EventRBACModified, zenv1.SeverityHigh},
	{"clusterrole get", map[string]any{"objectRef": objRef("clusterroles", "", "r", groupRBAC)}, "", "", ""},
	{"clusterrole update by the aggregation controller", map[string]any{"verb": "update", "objectRef": objRef("clusterroles", "", "admin", groupRBAC),
		"user": withUser("system:serviceaccount:kube-system:clusterrole-aggregation-controller")}, "", "", ""},
	{"cluster-admin clusterrolebinding", map[string]any{"verb": "create", "objectRef": bindingRef, "requestObject": roleBinding("ClusterRole", "cluster-admin")},
		"cluster-admin-binding", EventRBACModified, zenv1.SeverityCritical},
	{"cluster-admin rolebinding", map[string]any{"verb": "create", "objectRef": objRef("rolebindings", "shop", "pwn", groupRBAC), "requestObject": roleBinding("ClusterRole", "cluster-admin")},
		"cluster-admin-binding", EventRBACModified, zenv1.SeverityCritical},
	{"cluster-admin seen in the response of a JSON patch", map[string]any{"verb": "patch", "objectRef": bindingRef,
		"requestObject":  []any{map[string]any{"op": "add", "path": "/subjects/-", "value": map[string]any{"kind": "User", "name": "mallory"}}},
		"responseObject": roleBinding("ClusterRole", "cluster-admin")}, "cluster-admin-binding", EventRBACModified, zenv1.SeverityCritical},
	{"cluster-admin binding by a trusted user", map[string]any{"verb": "create", "objectRef": bindingRef, "requestObject": roleBinding("ClusterRole", "cluster-admin"),
		"user": withUser("system:serviceaccount:kube-system:pwned")}, "cluster-admin-binding", EventRBACModified, zenv1.SeverityCritical},
	{"binding to view", map[string]any{"verb": "create", "objectRef": bindingRef, "requestObject": roleBinding("ClusterRole", "view")}, "rbac-modified", EventRBACModified, zenv1.SeverityHigh},
	{"binding to a Role named cluster-admin", map[string]any{"verb": "create", "objectRef": bindingRef, "requestObject": roleBinding("Role", "cluster-admin")}, "rbac-modified", EventRBACModified, zenv1.SeverityHigh},
	{"cluster-admin binding refused", merge(denied, map[string]any{"verb": "create", "objectRef": bindingRef, "requestObject": roleBinding("ClusterRole", "cluster-admin")}),
		"access-denied", EventAccessDenied, zenv1.SeverityMedium},
	// pods
	{"privileged container", merge(podCreate, map[string]any{"requestObject": pod(map[string]any{"containers": containers(map[string]any{"privileged": true})})}),
		"privileged-pod", EventPrivilegedPod, zenv1.SeverityCritical},
	{"privileged init container", merge(podCreate, map[string]any{"requestObject": pod(map[string]any{"initContainers": containers(map[string]any{"privileged": true})})}),
		"privileged-pod", EventPrivilegedPod, zenv1.SeverityCritical},
	{"privileged ephemeral container (kubectl debug)", map[string]any{"verb": "patch", "objectRef": objRef("pods", "shop", "web-0", "", "ephemeralcontainers"),
		"requestObject": pod(map[string]any{"ephemeralContainers": containers(map[string]any{"privileged": true})})}, "privileged-pod", EventPrivilegedPod, zenv1.SeverityCritical},
	{"privileged false", merge(podCreate, map[string]any{"requestObject": pod(map[string]any{"containers": containers(map[string]any{"privileged": false})})}), "", "", ""},
	{"privileged as a string reads as unset", merge(podCreate, map[string]any{"requestObject": pod(map[string]any{"containers": containers(map[string]any{"privileged": "true"})})}), "", "", ""},
	{"hostPID", merge(podCreate, map[string]any{"requestObject": pod(map[string]any{"hostPID": true})}), "host-access-pod", EventPrivilegedPod, zenv1.SeverityHigh},
	{"hostNetwork", merge(podCreate, map[string]any{"requestObject": pod(map[string]any{"hostNetwork": true})}), "host-access-pod", EventPrivilegedPod, zenv1.SeverityHigh},
	{"hostIPC", merge(podCreate, map[string]any{"requestObject": pod(map[string]any{"hostIPC": true})}), "host-access-pod", EventPrivilegedPod, zenv1.SeverityHigh},
	{"hostPath volume", merge(podCreate, map[string]any{"requestObject": pod(map[string]any{"volumes": []any{
		map[string]any{"name": "a", "emptyDir": map[string]any{}}, map[string]any{"name": "b", "hostPath": map[string]any{"path": "/"}}}})}),
		"host-access-pod", EventPrivilegedPod, zenv1.SeverityHigh},
	{"plain pod", merge(podCreate, map[string]any{"requestObject": pod(map[string]any{"containers": containers(nil), "volumes": []any{map[string]any{"name": "a", "hostPath": nil}}})}), "", "", ""},
	{"privileged pod by the daemonset controller", merge(podCreate, map[string]any{"requestObject": pod(map[string]any{"containers": containers(map[string]any{"privileged": true})}),
		"user": withUser("system:serviceaccount:kube-system:daemon-set-controller")}), "", "", ""},
	{"privileged pod at level Metadata", podCreate, "", "", ""},
	{"privileged pod update", merge(podCreate, map[string]any{"verb": "update", "requestObject": pod(map[string]any{"containers": containers(map[string]any{"privileged": true})})}), "", "", ""},
	{"privileged pod refused by admission", merge(podCreate, map[string]any{"requestObject": pod(map[string]any{"hostPID": true}), "responseStatus": map[string]any{"code": 403}}),
		"access-denied", EventAccessDenied, zenv1.SeverityMedium},
	// exec, attach, port-forward
	{"exec over SPDY (create)", map[string]any{"verb": "create", "objectRef": objRef("pods", "shop", "web-0", "", "exec"), "responseStatus": map[string]any{"code": 101}},
		"pod-exec", EventPodExec, zenv1.SeverityHigh},
	{"exec over websocket (get) by a trusted user", map[string]any{"objectRef": objRef("pods", "shop", "web-0", "", "exec"), "user": withUser("system:apiserver")},
		"pod-exec", EventPodExec, zenv1.SeverityHigh},
	{"attach", map[string]any{"verb": "create", "objectRef": objRef("pods", "shop", "web-0", "", "attach")}, "pod-attach", EventPodAttach, zenv1.SeverityHigh},
	{"port-forward", map[string]any{"verb": "create", "objectRef": objRef("pods", "shop", "web-0", "", "portforward")}, "pod-portforward", EventPodPortForward, zenv1.SeverityHigh},
	{"exec refused", merge(denied, map[string]any{"verb": "create", "objectRef": objRef("pods", "shop", "web-0", "", "exec")}), "access-denied", EventAccessDenied, zenv1.SeverityMedium},
	{"pod log", map[string]any{"objectRef": objRef("pods", "shop", "web-0", "", "log")}, "", "", ""},
	// anonymous
	{"anonymous get allowed", map[string]any{"user": anonymous}, "anonymous-access", EventAnonymousAccess, zenv1.SeverityHigh},
	{"unauthenticated group allowed", map[string]any{"user": withUser("", "system:unauthenticated")}, "anonymous-access", EventAnonymousAccess, zenv1.SeverityHigh},
	{"anonymous without a code but allowed", merge(noCode, map[string]any{"user": anonymous}), "anonymous-access", EventAnonymousAccess, zenv1.SeverityHigh},
	{"anonymous without a code or decision", merge(noCode, map[string]any{"user": anonymous, "annotations": nil}), "", "", ""},
	{"anonymous discovery", merge(nonResource, map[string]any{"user": anonymous, "requestURI": "/apis"}), "anonymous-access", EventAnonymousAccess, zenv1.SeverityHigh},
	{"anonymous health probe", merge(nonResource, map[string]any{"user": anonymous}), "", "", ""},
	{"anonymous readiness probe with a query", merge(nonResource, map[string]any{"user": anonymous, "requestURI": "/readyz?verbose"}), "", "", ""},
	{"anonymous OIDC discovery", merge(nonResource, map[string]any{"user": anonymous, "requestURI": "/.well-known/openid-configuration"}), "", "", ""},
	{"anonymous refused", merge(denied, map[string]any{"user": anonymous}), "access-denied", EventAccessDenied, zenv1.SeverityMedium},
	{"anonymous unauthorized", map[string]any{"user": anonymous, "responseStatus": map[string]any{"code": 401}}, "access-denied", EventAccessDenied, zenv1.SeverityMedium},
	// access-denied
	{"403 by a trusted user", merge(denied, map[string]any{"user": withUser("system:node:worker-1")}), "access-denied", EventAccessDenied, zenv1.SeverityMedium},
	{"forbid decision without a code", forbid, "access-denied", EventAccessDenied, zenv1.SeverityMedium},
	{"forbid decision on a secret create", merge(forbid, map[string]any{"verb": "create", "objectRef": secretRef}), "access-denied", EventAccessDenied, zenv1.SeverityMedium},
	{"404 is not a denial", notFound, "", "", ""},
	// service-account tokens
	{"token request", map[string]any{"verb": "create", "objectRef": objRef("serviceaccounts", "shop", "app", "", "token")}, "serviceaccount-token-created", EventTokenCreated, zenv1.SeverityMedium},
	{"token request by a kubelet", map[string]any{"verb": "create", "objectRef": objRef("serviceaccounts", "shop", "app", "", "token"), "user": withUser("system:node:worker-1")}, "", "", ""},
	{"service account get", map[string]any{"objectRef": objRef("serviceaccounts", "shop", "app")}, "", "", ""},
	// deletes
	{"deployment delete", map[string]any{"verb": "delete", "objectRef": objRef("deployments", "shop", "web", "apps")}, "resource-deleted", EventResourceDeleted, zenv1.SeverityMedium},
	{"namespace delete", map[string]any{"verb": "delete", "objectRef": objRef("namespaces", "", "shop")}, "sensitive-delete", EventResourceDeleted, zenv1.SeverityHigh},
	{"CRD delete", map[string]any{"verb": "delete", "objectRef": objRef("customresourcedefinitions", "", "widgets.example.com", groupAPIExtensions)},
		"sensitive-delete", EventResourceDeleted, zenv1.SeverityHigh},
	{"webhook configuration delete", map[string]any{"verb": "delete", "objectRef": objRef("validatingwebhookconfigurations", "", "kyverno", groupAdmission)},
		"sensitive-delete", EventResourceDeleted, zenv1.SeverityHigh},
	{"pod delete by the controller manager", map[string]any{"verb": "delete", "objectRef": objRef("pods", "shop", "web-0"), "user": withUser("system:kube-controller-manager")}, "", "", ""},
	{"delete of something already gone", merge(notFound, map[string]any{"verb": "delete", "objectRef": objRef("pods", "shop", "web-0")}), "", "", ""},
	// unimportant
	{"pod get", nil, "", "", ""},
	{"pod watch by a kubelet", map[string]any{"verb": "watch", "objectRef": objRef("pods", "", ""), "user": withUser("system:node:worker-1")}, "", "", ""},
	{"non-resource get", map[string]any{"objectRef": nil, "requestURI": "/apis"}, "", "", ""},
	{"lease update by the scheduler", map[string]any{"verb": "update", "objectRef": objRef("leases", "kube-system", "kube-scheduler", "coordination.k8s.io"),
		"user": withUser("system:kube-scheduler")}, "", "", ""},
}

func TestBuiltinRules(t *testing.T) {
	p := NewParser(nil)
	for _, c := range ruleCases {
		t.Run(c.name, func(t *testing.T) {
			b := parseOK(t, p, mustJSON(t, eventWith(c.over)))
			if c.rule == "" {
				if len(b.Findings) != 0 || b.Dropped[DropUnimportant] != 1 {
					t.Fatalf("got %+v; want the event dropped as unimportant", b.Findings)
				}
				return
			}
			if len(b.Findings) != 1 {
				t.Fatalf("got %+v, rejected %+v; want a finding by %s", b.Dropped, b.Rejected, c.rule)
			}
			f := b.Findings[0]
			if f.Details["rule"] != c.rule || f.EventType != c.eventType || f.Severity != c.severity {
				t.Errorf("got %v (%s, %s), all %v; want %s (%s, %s)", f.Details["rule"], f.EventType, f.Severity, f.Details["rules"], c.rule, c.eventType, c.severity)
			}
		})
	}
}

func TestEveryBuiltinRuleIsTested(t *testing.T) {
	tested := map[string]bool{}
	for _, c := range ruleCases {
		tested[c.rule] = true
	}
	for _, r := range DefaultRules(nil).List() {
		if !tested[r.Name] {
			t.Errorf("rule %s has no positive case", r.Name)
		}
	}
}

func TestPodRisksInDetails(t *testing.T) {
	body := mustJSON(t, eventWith(merge(podCreate, map[string]any{"requestObject": pod(map[string]any{
		"hostPID": true, "hostNetwork": true, "containers": containers(map[string]any{"privileged": true})})})))
	f := parseOK(t, NewParser(nil), body).Findings[0]
	if got := strings.Join(f.Details["podRisks"].([]string), " "); got != "privileged hostPID hostNetwork" {
		t.Errorf("podRisks %q", got)
	}
	if got := strings.Join(f.Details["rules"].([]string), " "); got != "privileged-pod host-access-pod" {
		t.Errorf("rules %q", got)
	}
}

func TestRuleTableInDocs(t *testing.T) {
	// doc.go holds the table the README copies; every built-in rule must
	// be on it as coded, in order.
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^//\t([a-z-]+) +([a-z-]+) +(CRITICAL|HIGH|MEDIUM|LOW|INFO) +(skipped +)?\S`)
	var got []string
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		got = append(got, m[1]+" "+m[2]+" "+m[3]+" "+strings.TrimSpace(m[4]))
	}
	var want []string
	for _, r := range DefaultRules(nil).List() {
		skip := ""
		if r.SkipTrusted {
			skip = "skipped"
		}
		want = append(want, r.Name+" "+r.EventType+" "+string(r.Severity)+" "+skip)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("doc.go table:\n%s\nrules:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestRuleNamesAndTypesAreLabels(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range DefaultRules(nil).List() {
		if checkLabel("name", r.Name) != nil || checkLabel("eventType", r.EventType) != nil || seen[r.Name] {
			t.Errorf("rule %+v: bad or repeated name or event type", r)
		}
		seen[r.Name] = true
	}
	if checkLabel("source", SourceName) != nil {
		t.Errorf("SourceName %q is not a label value", SourceName)
	}
}

func TestTrustedUsers(t *testing.T) {
	tu := newTrustedUsers([]string{" alice ", "system:node:*", "", "a*b", "team-*"})
	for name, want := range map[string]bool{
		"alice": true, " alice": false, "system:node:w1": true, "system:node:": true, "system:node": false,
		"a*b": true, "axb": false, "team-x": true, "team": false, "": false, "bob": false,
	} {
		if got := tu.has(name); got != want {
			t.Errorf("has(%q) = %v; want %v", name, got, want)
		}
	}
	if got := DefaultRules([]string{"*"}); !got.trusted.has("anyone") {
		t.Error(`"*" should trust everyone`)
	}
	if got := strings.Join(DefaultRules(DefaultTrustedUsers).TrustedUsers(), ","); got != strings.Join(DefaultTrustedUsers, ",") {
		t.Errorf("TrustedUsers %s", got)
	}
}

func TestValidateTrustedUsers(t *testing.T) {
	for _, c := range []struct {
		patterns []string
		ok       bool
	}{
		{nil, true}, {DefaultTrustedUsers, true}, {[]string{"*"}, true}, {[]string{" x* "}, true}, {[]string{""}, true},
		{[]string{"a*b"}, false}, {[]string{"**"}, false}, {[]string{"*x"}, false}, {[]string{"ok", "system:*:x"}, false},
	} {
		if err := ValidateTrustedUsers(c.patterns); (err == nil) != c.ok {
			t.Errorf("%q: err %v; want ok %v", c.patterns, err, c.ok)
		}
	}
}
