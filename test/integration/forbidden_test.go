package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kube-zen/zen-watcher/internal/config"
)

// grant binds user to a new ClusterRole of rules, and removes both when the
// test ends.
func grant(t *testing.T, name, user string, rules ...rbacv1.PolicyRule) {
	t.Helper()
	ctx := context.Background()
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	}
	for _, o := range []client.Object{role, binding} {
		if err := k8sClient.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), o) })
	}
}

func rule(group string, resources []string, verbs ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{APIGroups: []string{group}, Resources: resources, Verbs: verbs}
}

// TestForbiddenSourceLeavesTheDaemonReady runs the daemon as a user who may
// do everything it needs except list policyreports. The daemon goes ready,
// says plainly that Kyverno is forbidden, and once the grant is added reads
// the reports without a restart.
func TestForbiddenSourceLeavesTheDaemonReady(t *testing.T) {
	installReportCRDs(t)
	ns := newNamespace(t)
	forgetKyverno(t, ns)
	user := "zen-" + ns
	read := []string{"get", "list", "watch"}
	grant(t, user+"-base", user,
		rule("zen.kube-zen.io", []string{"zenagentevents"}, "get", "list", "watch", "create", "update", "patch", "delete"),
		rule("coordination.k8s.io", []string{"leases"}, "get", "create", "update"),
		rule("", []string{"configmaps", "pods", "namespaces"}, read...),
		rule("events.k8s.io", []string{"events"}, "create", "patch", "update"),
		rule("aquasecurity.github.io", []string{"*"}, read...),
		rule("openreports.io", []string{"*"}, read...),
		rule("wgpolicyk8s.io", []string{"clusterpolicyreports"}, read...),
		rule("authentication.k8s.io", []string{"tokenreviews"}, "create"),
		rule("authorization.k8s.io", []string{"subjectaccessreviews"}, "create"),
	)
	operator := adminTokens(t, ns)["operator"]
	rc := rest.CopyConfig(restConfig)
	rc.Impersonate = rest.ImpersonationConfig{UserName: user}
	// RBAC is on in this control plane: the user may not list policyreports.
	limited, err := client.New(rc, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var probe rbacv1.ClusterRoleList
	if err := limited.List(context.Background(), &probe); err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Fatalf("the impersonated user should be refused what it was not granted, got %v", err)
	}

	d := startDaemonWith(t, rc, func(c *config.Config) { c.WatchNamespace, c.PodNamespace = ns, ns })
	d.waitReady(t, http.StatusOK)
	eventually(t, "Kyverno shown as forbidden", func() error {
		_, verbose := d.get(t, "/ready?verbose")
		if l := verboseLine(verbose, "source/kyverno"); !strings.HasPrefix(l, "[+]source/kyverno degraded: ") || !strings.Contains(l, "forbidden") {
			return fmt.Errorf("/ready?verbose:\n%s", verbose)
		}
		return nil
	})
	_, verbose := d.get(t, "/ready?verbose")
	t.Logf("/ready?verbose while forbidden:\n%s", verbose)
	if !strings.HasSuffix(verbose, "ready check passed\n") || verboseLine(verbose, "source/trivy") != "[+]source/trivy ok" {
		t.Errorf("the other sources are fine and the daemon ready:\n%s", verbose)
	}
	if st := kyvernoTool(t, d, operator); st.Source != "failing" || !strings.Contains(st.SourceError, "forbidden") {
		t.Errorf("/api/v1/tools kyverno: %+v", st)
	}
	if _, metrics := d.get(t, "/metrics"); !strings.Contains(metrics, `zen_watcher_source_up{source="kyverno"} 0`) ||
		!strings.Contains(metrics, `zen_watcher_source_up{source="trivy"} 1`) {
		t.Errorf("zen_watcher_source_up should be 0 for kyverno, 1 for trivy")
	}

	applyReport(t, policyReport(ns, "app", "granted-"+ns))
	grant(t, user+"-policyreports", user, rule("wgpolicyk8s.io", []string{"policyreports"}, read...))
	granted := time.Now()
	// The informer retries with backoff (client-go's: up to 30s, jittered),
	// so the wait is long; it bounds the test, and measures nothing.
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		if _, ok := eventForPolicy(ns, "granted-"+ns, kyvernoEventsIn(t, ns)); ok {
			break
		}
		if time.Now().After(deadline) {
			_, verbose := d.get(t, "/ready?verbose")
			t.Fatalf("no Kyverno event after the grant:\n%s", verbose)
		}
	}
	t.Logf("Kyverno finding stored %s after the grant", time.Since(granted).Round(100*time.Millisecond))
	_, verbose = d.get(t, "/ready?verbose")
	if l := verboseLine(verbose, "source/kyverno"); l != "[+]source/kyverno ok" {
		t.Errorf("after the grant: %q", l)
	}
	if st := kyvernoTool(t, d, operator); st.Source != "watching" || st.SourceError != "" {
		t.Errorf("/api/v1/tools kyverno after the grant: %+v", st)
	}
	if _, metrics := d.get(t, "/metrics"); !strings.Contains(metrics, `zen_watcher_source_up{source="kyverno"} 1`) {
		t.Error("zen_watcher_source_up{source=\"kyverno\"} should be 1 after the grant")
	}
}

type toolSource struct {
	Tool        string `json:"tool"`
	Source      string `json:"source"`
	SourceError string `json:"sourceError"`
}

func kyvernoTool(t *testing.T, d *daemon, token string) toolSource {
	t.Helper()
	_, body := d.getWith(t, "/api/v1/tools", token)
	var resp struct {
		Tools []toolSource `json:"tools"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	for _, st := range resp.Tools {
		if st.Tool == "kyverno" {
			return st
		}
	}
	t.Fatalf("no kyverno in %s", body)
	return toolSource{}
}
