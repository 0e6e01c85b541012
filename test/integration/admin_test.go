package integration

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"

	"github.com/kube-zen/zen-watcher/internal/config"
)

// TestAdminAPIWithServiceAccounts runs the daemon in its own namespace,
// with METRICS_AUTH=kubernetes, and calls the admin API and /metrics with
// real ServiceAccount tokens: TokenReview and SubjectAccessReview go to the
// real API server, and RBAC decides with the ClusterRoles of config/rbac.
func TestAdminAPIWithServiceAccounts(t *testing.T) {
	applyRBAC(t)
	ns, elsewhere := newNamespace(t), newNamespace(t)
	d := startDaemonWith(t, restConfig, func(c *config.Config) {
		c.PodNamespace = ns
		c.MetricsAuth = config.MetricsAuthKubernetes
		c.Webhooks.Token = webhookToken
	})
	nobody := serviceAccountToken(t, ns, "nobody") // no binding at all
	reader := serviceAccountToken(t, ns, "reader")
	operator := serviceAccountToken(t, ns, "operator")
	scraper := serviceAccountToken(t, ns, "scraper")
	stranger := serviceAccountToken(t, elsewhere, "operator") // an operator, but of another namespace
	bindRole(t, ns, "reader", "zen-watcher-dlq-reader", ns)
	bindRole(t, ns, "operator", "zen-watcher-dlq-operator", ns)
	bindRole(t, ns, "scraper", "zen-watcher-metrics-reader", "")
	bindRole(t, elsewhere, "operator", "zen-watcher-dlq-operator", elsewhere)
	sa := func(n, name string) string { return "system:serviceaccount:" + n + ":" + name }
	replay := &authorizationv1.ResourceAttributes{Namespace: ns, Verb: "create", Group: "zen.kube-zen.io", Resource: "deadletters", Subresource: "replay"}
	list := &authorizationv1.ResourceAttributes{Namespace: ns, Verb: "list", Group: "zen.kube-zen.io", Resource: "deadletters"}
	waitGranted(t, sa(ns, "reader"), list, nil)
	waitGranted(t, sa(ns, "operator"), replay, nil)
	waitGranted(t, sa(ns, "scraper"), nil, &authorizationv1.NonResourceAttributes{Path: "/metrics", Verb: "get"})
	waitGranted(t, sa(elsewhere, "operator"), &authorizationv1.ResourceAttributes{Namespace: elsewhere, Verb: "create",
		Group: "zen.kube-zen.io", Resource: "deadletters", Subresource: "replay"}, nil)

	type call struct{ method, path string }
	dlq, replayCall, tools, metrics := call{"GET", "/api/v1/dlq"}, call{"POST", "/api/v1/dlq/replay"}, call{"GET", "/api/v1/tools"}, call{"GET", "/metrics"}
	admin := []call{dlq, replayCall, tools}
	for _, tc := range []struct {
		who    string
		token  string
		calls  []call
		want   int
		reason string
	}{
		{"no token", "", append(admin, metrics), http.StatusUnauthorized, "missing-token"},
		{"a bad token", "not-a-kubernetes-token", append(admin, metrics), http.StatusUnauthorized, "invalid-token"},
		{"a forged JWT", nobody[:len(nobody)-4] + "AAAA", admin, http.StatusUnauthorized, "invalid-token"},
		{"the webhook token", webhookToken, append(admin, metrics), http.StatusUnauthorized, "webhook-token"},
		{"a ServiceAccount with no bindings", nobody, append(admin, metrics), http.StatusForbidden, "forbidden"},
		{"an operator of another namespace", stranger, admin, http.StatusForbidden, "forbidden"},
		{"a scraper", scraper, admin, http.StatusForbidden, "forbidden"},
		{"a reader", reader, []call{replayCall, metrics}, http.StatusForbidden, "forbidden"},
		{"a reader", reader, []call{dlq, tools}, http.StatusOK, ""},
		{"an operator", operator, admin, http.StatusOK, ""},
		{"a scraper", scraper, []call{metrics}, http.StatusOK, ""},
	} {
		for _, c := range tc.calls {
			code, ctype, body := d.call(t, c.method, c.path, tc.token)
			if code != tc.want {
				t.Errorf("%s: %s %s = %d, want %d: %s", tc.who, c.method, c.path, code, tc.want, body)
				continue
			}
			if tc.reason == "" {
				continue
			}
			var p struct{ Type, Title, Detail, Reason string }
			if err := json.Unmarshal([]byte(body), &p); err != nil || ctype != "application/problem+json" || p.Reason != tc.reason || p.Detail == "" {
				t.Errorf("%s: %s %s: want a problem with reason %s, got %s %s", tc.who, c.method, c.path, tc.reason, ctype, body)
			}
			if strings.Contains(body, tc.token) && tc.token != "" {
				t.Errorf("%s: the answer echoes the token", tc.who)
			}
		}
	}
	// A denial names what to grant, so an operator can fix it.
	if _, _, body := d.call(t, "POST", "/api/v1/dlq/replay", reader); !strings.Contains(body, "create deadletters/replay.zen.kube-zen.io in namespace "+ns) {
		t.Errorf("the 403 does not say what is missing: %s", body)
	}
	// The probes and the document stay open.
	for _, path := range []string{"/health", "/openapi.yaml"} {
		if code, _, _ := d.call(t, "GET", path, ""); code != http.StatusOK {
			t.Errorf("%s without a token: %d", path, code)
		}
	}
	if v := counterValue(t, d.registry, "zen_watcher_admin_requests_total"); v < 30 {
		t.Errorf("zen_watcher_admin_requests_total = %v, want every call counted", v)
	}
}
