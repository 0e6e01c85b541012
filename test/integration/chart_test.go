package integration

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/test/chart"
	"github.com/kube-zen/zen-watcher/test/fixtures"
)

// The chart installed into a real API server that authorizes with RBAC,
// and the daemon run as the chart's ServiceAccount: every source works with
// no "forbidden" in its log, and the identity can do nothing it should not.
//
// This test starts a control plane of its own: the API server's audit
// webhook, configured with deploy/examples/audit (policy and webhook
// kubeconfig), must point at the daemon before the server starts, so the
// audit batch the daemon turns into an event is a real one.
func TestChartLeastPrivilegeOnRealAPIServer(t *testing.T) {
	const (
		release = "zen-watcher"
		ns      = "zen-system" // the audit policy example leaves this release's own requests out
		toolsNS = "zen-tools"
	)
	dir := t.TempDir()
	port := freePort(t)
	token := randomHex(t, 24)
	ca := newTestCA(t)
	certPEM, keyPEM := ca.issueServing(t, release+"."+ns+".svc")

	// The example audit webhook kubeconfig, pointed at this test's daemon.
	webhookConfig := filepath.Join(dir, "audit-webhook.kubeconfig")
	caFile := filepath.Join(dir, "ca.crt")
	writeFile(t, caFile, ca.pem)
	exampleAuditKubeconfig(t, webhookConfig, "https://127.0.0.1:"+portString(port)+"/audit/webhook", caFile, token)

	env := newEnvironment(filepath.Join(repoRoot(), "config", "crd"),
		filepath.Join(fixtures.Dir(), "trivy", "crds"), filepath.Join(fixtures.Dir(), "kyverno", "crds"))
	api := env.ControlPlane.GetAPIServer()
	api.Configure().
		Set("audit-policy-file", filepath.Join(repoRoot(), "deploy", "examples", "audit", "audit-policy.yaml")).
		Set("audit-webhook-config-file", webhookConfig).
		Set("audit-webhook-mode", "batch").
		Set("audit-webhook-batch-max-wait", "1s")
	rc, err := env.Start()
	if err != nil {
		t.Fatalf("starting the control plane with the example audit policy and webhook kubeconfig: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	if mode := apiServerFlag(t, rc, "authorization-mode"); mode != "RBAC" {
		t.Fatalf("the API server runs with --authorization-mode=%q, want RBAC only", mode)
	}
	admin := kubernetes.NewForConfigOrDie(rc)
	ctx := context.Background()

	// The release namespace enforces the restricted Pod Security profile.
	createNamespace(t, admin, ns, map[string]string{"pod-security.kubernetes.io/enforce": "restricted"})
	createNamespace(t, admin, toolsNS, nil)
	mustCreate(t, func() error {
		_, err := admin.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "zen-webhook"}, StringData: map[string]string{"token": token}}, metav1.CreateOptions{})
		return err
	})
	mustCreate(t, func() error {
		_, err := admin.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "zen-watcher-tls"}, Type: corev1.SecretTypeTLS,
			Data: map[string][]byte{"tls.crt": certPEM, "tls.key": keyPEM, "ca.crt": ca.pem}}, metav1.CreateOptions{})
		return err
	})

	// Every optional part on: the objects the API server knows are valid
	// (dry run; the Prometheus Operator and cert-manager kinds have no CRDs here).
	for _, n := range []string{"security", "trivy-system", "kyverno", "zen-events"} {
		createNamespace(t, admin, n, nil)
	}
	allOn := chart.Template(t, release, ns, "-f", filepath.Join(chart.Dir(), "ci", "all-on-values.yaml"))
	applyObjects(t, rc, allOn, true, "monitoring.coreos.com", "cert-manager.io")
	// The example Jobs (and their RBAC) are valid objects too.
	for _, rel := range []string{"kube-bench/kube-bench-job.yaml", "checkov/checkov-job.yaml"} {
		b, err := os.ReadFile(filepath.Join(repoRoot(), "deploy", "examples", rel))
		if err != nil {
			t.Fatal(err)
		}
		jobs, err := chart.Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		createNamespace(t, admin, jobs[0].GetNamespace(), nil)
		applyObjects(t, rc, jobs, true)
	}

	// The release under test: HTTPS, the token from an existing Secret, every
	// tool in one namespace that is also WATCH_NAMESPACE (so this daemon
	// reads only this test's reports).
	objs := chart.Template(t, release, ns,
		"--set", "webhook.token.existingSecret=zen-webhook",
		"--set", "tls.enabled=true,tls.existingSecret=zen-watcher-tls",
		"--set", strings.Join([]string{"tools.trivy.namespace", "tools.kyverno.namespace", "tools.falco.namespace", "tools.kubeBench.namespace", "tools.checkov.namespace"}, "="+toolsNS+",")+"="+toolsNS,
		"--set", "config.WATCH_NAMESPACE="+toolsNS+",config.WATCH_INTERVAL=1s,config.FLUSH_INTERVAL=200ms",
		// The fixtures are years old: keep retention from deleting their events.
		"--set", "config.EVENT_TTL=87600h")
	applyObjects(t, rc, objs, false)
	d := chartDeployment(t, objs)
	checkRestrictedPod(t, admin, d)

	sa := "system:serviceaccount:" + ns + ":" + d.Spec.Template.Spec.ServiceAccountName
	groups := []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}
	kubeconfigPath := filepath.Join(dir, "sa.kubeconfig")
	impersonatingKubeconfig(t, env.KubeConfig, kubeconfigPath, sa, groups...)

	environ := podEnvironment(t, admin, d, filepath.Join(dir, "pod"))
	environ = slices.DeleteFunc(environ, func(e string) bool { return strings.HasPrefix(e, "WATCHER_PORT=") })
	environ = append(environ, "WATCHER_PORT="+portString(port))
	p := startChartDaemon(t, environ, "--kubeconfig", kubeconfigPath)
	base := "https://127.0.0.1:" + portString(port)
	hc := ca.client(t, "", 0)
	eventually(t, "daemon ready as the chart's ServiceAccount", func() error {
		resp, err := hc.Get(base + "/ready")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/ready = %d", resp.StatusCode)
		}
		return nil
	})

	feedEverySource(t, rc, admin, toolsNS, hc, base, token)
	// The Warning Events example in the release namespace: the chart grants
	// what it watches (dynamicSources.watchRules) and what it reads of it.
	warnings := exampleSource(t, "warning-events.yaml", ns)
	adminClient, err := client.New(rc, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	if err := adminClient.Create(ctx, warnings); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CoreV1().Events(toolsNS).Create(ctx, k8sEvent(toolsNS, "chart-backoff", corev1.EventTypeWarning, "BackOff", "Back-off restarting failed container"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dyn := dynamic.NewForConfigOrDie(rc)
	want := []string{"trivy", "kyverno", "kube-bench", "checkov", "falco", "audit", warnings.Name}
	eventually(t, "an event from every source", func() error {
		seen := map[string]bool{}
		list, err := dyn.Resource(zaeGVR).List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		for _, u := range list.Items {
			seen[u.GetLabels()[zenv1.LabelSource]] = true
		}
		for _, s := range want {
			if !seen[s] {
				return fmt.Errorf("no %s event yet (have %v)", s, seen)
			}
		}
		return nil
	})
	checkAdminRoles(t, admin, ns, hc, base)
	if err := p.stop(t); err != nil {
		t.Errorf("daemon exit after SIGTERM: %v", err)
	}
	if logs := p.logs.String(); strings.Contains(strings.ToLower(logs), "forbidden") {
		t.Errorf("the daemon's log mentions forbidden:\n%s", logs)
	}

	imp := rest.CopyConfig(rc)
	imp.Impersonate = rest.ImpersonationConfig{UserName: sa, Groups: groups}
	checkDenied(t, rc, kubernetes.NewForConfigOrDie(imp), sa, groups, ns, toolsNS, d.Name)
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// exampleAuditKubeconfig loads deploy/examples/audit/audit-webhook-kubeconfig.yaml
// and fills in its placeholders: the daemon's address, the CA and the token.
func exampleAuditKubeconfig(t *testing.T, path, server, caFile, token string) {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(filepath.Join(repoRoot(), "deploy", "examples", "audit", "audit-webhook-kubeconfig.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Clusters) != 1 || len(cfg.AuthInfos) != 1 {
		t.Fatalf("the example has %d clusters and %d users, want one each", len(cfg.Clusters), len(cfg.AuthInfos))
	}
	for _, c := range cfg.Clusters {
		if !strings.HasSuffix(c.Server, "/audit/webhook") || c.TLSServerName == "" {
			t.Fatalf("example server %q, tls-server-name %q", c.Server, c.TLSServerName)
		}
		c.Server, c.CertificateAuthority = server, caFile
	}
	for _, a := range cfg.AuthInfos {
		a.Token = token
	}
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
}

func createNamespace(t *testing.T, cs kubernetes.Interface, name string, labels map[string]string) {
	t.Helper()
	mustCreate(t, func() error {
		_, err := cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{})
		return err
	})
}

func mustCreate(t *testing.T, create func() error) {
	t.Helper()
	if err := create(); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// checkRestrictedPod creates (dry run) a Pod from the Deployment's template
// in the namespace that enforces the restricted profile: the API server's
// PodSecurity admission accepts it. A privileged variant is refused, which
// shows the profile is enforced there.
func checkRestrictedPod(t *testing.T, cs kubernetes.Interface, d *appsv1.Deployment) {
	t.Helper()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "restricted-check", Labels: d.Spec.Template.Labels}, Spec: d.Spec.Template.Spec}
	dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	if _, err := cs.CoreV1().Pods(d.Namespace).Create(context.Background(), pod, dry); err != nil {
		t.Errorf("the chart's pod violates the restricted Pod Security profile: %v", err)
	}
	bad := pod.DeepCopy()
	bad.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = nil
	if _, err := cs.CoreV1().Pods(d.Namespace).Create(context.Background(), bad, dry); err == nil {
		t.Error("a pod allowing privilege escalation was admitted: the namespace does not enforce the restricted profile")
	}
}

// feedEverySource hands each source its input: a Trivy and a Kyverno
// report, kube-bench and Checkov result ConfigMaps, a Falco alert, and a
// Secret written by the admin, which the API server's audit webhook
// reports.
func feedEverySource(t *testing.T, rc *rest.Config, cs kubernetes.Interface, ns string, hc *http.Client, base, token string) {
	t.Helper()
	ctx := context.Background()
	dyn := dynamic.NewForConfigOrDie(rc)
	for _, rel := range []string{"trivy/vulnerabilityreport_nginx_docs.yaml", "kyverno/policyreport_pod_pass_fail_docs.yaml"} {
		objs, err := fixtures.Objects(rel)
		if err != nil {
			t.Fatal(err)
		}
		u := objs[0]
		u.SetNamespace(ns)
		if _, err := dyn.Resource(plural(u)).Namespace(ns).Create(ctx, u, metav1.CreateOptions{}); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
	}
	checkov := strings.NewReplacer(".default.", "."+ns+".", ".shop.", "."+ns+".").Replace(string(fixtures.MustRead(t, "checkov/kubernetes_single_framework.json")))
	for name, cm := range map[string]*corev1.ConfigMap{
		"kube-bench": {ObjectMeta: metav1.ObjectMeta{Name: "kube-bench-node-a", Labels: map[string]string{"app": "kube-bench"}, Annotations: map[string]string{"zen.kube-zen.io/node": "node-a"}},
			Data: map[string]string{"results.json": string(fixtures.MustRead(t, "kube-bench/full_run_cis-1.6_wg-policy-sample.json"))}},
		"checkov": {ObjectMeta: metav1.ObjectMeta{Name: "checkov-cluster", Labels: map[string]string{"app": "checkov"}}, Data: map[string]string{"results.json": checkov}},
	} {
		if _, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatalf("%s ConfigMap: %v", name, err)
		}
	}
	alert := strings.ReplaceAll(string(fixtures.MustRead(t, "falco/syscall_terminal_shell_in_container.json")), `"k8s.ns.name":"default"`, `"k8s.ns.name":"`+ns+`"`)
	if code := postJSON(t, hc, base+"/falco/webhook", token, []byte(alert)); code != http.StatusAccepted {
		t.Fatalf("Falco alert answered %d", code)
	}
	// secret-modified: the audit policy records it at Metadata, the webhook sends the batch.
	if _, err := cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "audited"}, StringData: map[string]string{"k": "v"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// checkDenied shows what the chart's identity cannot do: real requests,
// each refused with 403, and a SubjectAccessReview for pods/exec. A
// review of something it may do names the RBAC authorizer as the reason.
func checkDenied(t *testing.T, admin *rest.Config, cs kubernetes.Interface, user string, groups []string, ns, toolsNS, deployment string) {
	t.Helper()
	ctx := context.Background()
	patch := []byte(`{"metadata":{"labels":{"pwned":"true"}}}`)
	labels := map[string]string{"app": "x"}
	podSpec := corev1.PodSpec{Containers: []corev1.Container{{Name: "x", Image: "x"}}}
	template := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: podSpec}
	selector := &metav1.LabelSelector{MatchLabels: labels}
	attempts := map[string]func() error{
		"create deployment": func() error {
			_, err := cs.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "x"}, Spec: appsv1.DeploymentSpec{Selector: selector, Template: template}}, metav1.CreateOptions{})
			return err
		},
		"patch its own deployment": func() error {
			_, err := cs.AppsV1().Deployments(ns).Patch(ctx, deployment, types.MergePatchType, patch, metav1.PatchOptions{})
			return err
		},
		"create daemonset": func() error {
			_, err := cs.AppsV1().DaemonSets(toolsNS).Create(ctx, &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "x"}, Spec: appsv1.DaemonSetSpec{Selector: selector, Template: template}}, metav1.CreateOptions{})
			return err
		},
		"patch daemonset": func() error {
			_, err := cs.AppsV1().DaemonSets("kube-system").Patch(ctx, "kube-proxy", types.MergePatchType, patch, metav1.PatchOptions{})
			return err
		},
		"create pod": func() error {
			_, err := cs.CoreV1().Pods(toolsNS).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "x"}, Spec: podSpec}, metav1.CreateOptions{})
			return err
		},
		"patch pod": func() error {
			_, err := cs.CoreV1().Pods(toolsNS).Patch(ctx, "x", types.MergePatchType, patch, metav1.PatchOptions{})
			return err
		},
		"create pods/exec": func() error {
			return cs.CoreV1().RESTClient().Post().Namespace(toolsNS).Resource("pods").Name("x").SubResource("exec").Param("command", "sh").Do(ctx).Error()
		},
		"list secrets cluster-wide": func() error { _, err := cs.CoreV1().Secrets("").List(ctx, metav1.ListOptions{}); return err },
		"list configmaps in default": func() error {
			_, err := cs.CoreV1().ConfigMaps(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{})
			return err
		},
		"list configmaps cluster-wide": func() error { _, err := cs.CoreV1().ConfigMaps("").List(ctx, metav1.ListOptions{}); return err },
		"create clusterrolebinding": func() error {
			_, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "x"},
				RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
				Subjects: []rbacv1.Subject{{Kind: "User", Name: user}}}, metav1.CreateOptions{})
			return err
		},
	}
	for _, n := range []string{ns, toolsNS, metav1.NamespaceDefault, "kube-system"} {
		if n != ns { // its own namespace grants get, for the ZenSources there
			attempts["get secret in "+n] = func() error {
				_, err := cs.CoreV1().Secrets(n).Get(ctx, "zen-webhook", metav1.GetOptions{})
				return err
			}
		}
		attempts["list secrets in "+n] = func() error { _, err := cs.CoreV1().Secrets(n).List(ctx, metav1.ListOptions{}); return err }
		attempts["watch secrets in "+n] = func() error { _, err := cs.CoreV1().Secrets(n).Watch(ctx, metav1.ListOptions{}); return err }
	}
	attempts["create zensource"] = func() error {
		return cs.CoreV1().RESTClient().Post().AbsPath("/apis/zen.kube-zen.io/v1alpha1/namespaces/" + toolsNS + "/zensources").
			Body([]byte(`{"apiVersion":"zen.kube-zen.io/v1alpha1","kind":"ZenSource","metadata":{"name":"x"}}`)).Do(ctx).Error()
	}
	attempts["update zensource spec"] = func() error {
		return cs.CoreV1().RESTClient().Put().AbsPath("/apis/zen.kube-zen.io/v1alpha1/namespaces/" + toolsNS + "/zensources/x").
			Body([]byte(`{"apiVersion":"zen.kube-zen.io/v1alpha1","kind":"ZenSource","metadata":{"name":"x"}}`)).Do(ctx).Error()
	}
	for what, attempt := range attempts {
		if err := attempt(); !apierrors.IsForbidden(err) {
			t.Errorf("%s as %s: want 403 Forbidden, got %v", what, user, err)
		}
	}

	reviews := kubernetes.NewForConfigOrDie(admin).AuthorizationV1().SubjectAccessReviews()
	review := func(attrs authorizationv1.ResourceAttributes) *authorizationv1.SubjectAccessReviewStatus {
		r, err := reviews.Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: user, Groups: groups, ResourceAttributes: &attrs}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return &r.Status
	}
	if s := review(authorizationv1.ResourceAttributes{Namespace: toolsNS, Verb: "create", Resource: "pods", Subresource: "exec"}); s.Allowed {
		t.Errorf("%s may create pods/exec: %s", user, s.Reason)
	}
	s := review(authorizationv1.ResourceAttributes{Namespace: toolsNS, Verb: "create", Group: zenv1.GroupVersion.Group, Resource: zenv1.ZenAgentEventResource})
	if !s.Allowed || !strings.HasPrefix(s.Reason, "RBAC: allowed by ClusterRoleBinding") {
		t.Errorf("creating ZenAgentEvents: allowed %v, reason %q; want the RBAC authorizer's grant", s.Allowed, s.Reason)
	}
	// ZenSources: read everywhere, status written; Secrets got only in
	// its own namespace, by the chart's RoleBinding.
	for _, attrs := range []authorizationv1.ResourceAttributes{
		{Namespace: toolsNS, Verb: "watch", Group: v1alpha1.GroupVersion.Group, Resource: v1alpha1.ZenSourceResource},
		{Namespace: toolsNS, Verb: "update", Group: v1alpha1.GroupVersion.Group, Resource: v1alpha1.ZenSourceResource, Subresource: "status"},
		{Namespace: ns, Verb: "get", Resource: "secrets", Name: "any"},
	} {
		if s := review(attrs); !s.Allowed {
			t.Errorf("%s %s/%s in %s: not allowed (%s)", attrs.Verb, attrs.Resource, attrs.Subresource, attrs.Namespace, s.Reason)
		}
	}
	// Namespace users: edit manages ZenSources, view reads them, through
	// the chart's roles that aggregate into edit and view (bound directly:
	// aggregation is the controller manager's, which envtest does not run;
	// test/chart checks the aggregation labels).
	for _, tc := range []struct {
		role, verb string
		allowed    bool
	}{{"edit", "create", true}, {"edit", "delete", true}, {"view", "list", true}, {"view", "create", false}} {
		tenant := "tenant-" + tc.role
		rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: tenant, Namespace: toolsNS},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "zen-watcher-" + tc.role},
			Subjects: []rbacv1.Subject{{Kind: "User", Name: tenant}}}
		mustCreate(t, func() error {
			_, err := kubernetes.NewForConfigOrDie(admin).RbacV1().RoleBindings(toolsNS).Create(ctx, rb, metav1.CreateOptions{})
			return err
		})
		eventually(t, tc.role+" "+tc.verb+" zensources", func() error {
			r, err := reviews.Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: tenant,
				ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: toolsNS, Verb: tc.verb, Group: v1alpha1.GroupVersion.Group, Resource: v1alpha1.ZenSourceResource}}}, metav1.CreateOptions{})
			if err != nil {
				return err
			}
			if r.Status.Allowed != tc.allowed {
				return fmt.Errorf("allowed %v, want %v (%s)", r.Status.Allowed, tc.allowed, r.Status.Reason)
			}
			return nil
		})
	}
}

// checkAdminRoles calls the admin API as a ServiceAccount bound to the
// chart's dlq-reader role, and as one bound to nothing: the daemon's own
// TokenReview and SubjectAccessReview permissions let it tell them apart.
func checkAdminRoles(t *testing.T, cs kubernetes.Interface, ns string, hc *http.Client, base string) {
	t.Helper()
	ctx := context.Background()
	token := func(name string) string {
		mustCreate(t, func() error {
			_, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
			return err
		})
		tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return tr.Status.Token
	}
	mustCreate(t, func() error {
		_, err := cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "dlq-reader"},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "zen-watcher-dlq-reader"},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "dlq-reader", Namespace: ns}}}, metav1.CreateOptions{})
		return err
	})
	for name, want := range map[string]int{"dlq-reader": http.StatusOK, "nobody": http.StatusForbidden} {
		req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/dlq", nil)
		req.Header.Set("Authorization", "Bearer "+token(name))
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET /api/v1/dlq as %s = %d, want %d", name, resp.StatusCode, want)
		}
	}
}
