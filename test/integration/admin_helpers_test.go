package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"
)

// clientset is a typed client of the shared control plane, as its admin.
func clientset(t *testing.T) *kubernetes.Clientset {
	t.Helper()
	cs, err := kubernetes.NewForConfig(restConfig)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

var applyRBACOnce sync.Once

// applyRBAC creates the ClusterRoles of config/rbac, which the chart
// templates, once per control plane: the tests grant exactly what they say.
func applyRBAC(t *testing.T) {
	t.Helper()
	applyRBACOnce.Do(func() {
		cs := clientset(t)
		for _, file := range []string{"reviews.yaml", "admin.yaml"} {
			data, err := os.ReadFile(filepath.Join(repoRoot(), "config", "rbac", file))
			if err != nil {
				t.Fatal(err)
			}
			for _, doc := range bytes.Split(data, []byte("\n---\n")) {
				var role rbacv1.ClusterRole
				if err := yaml.UnmarshalStrict(doc, &role); err != nil {
					t.Fatalf("%s: %v", file, err)
				}
				if _, err := cs.RbacV1().ClusterRoles().Create(context.Background(), &role, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
					t.Fatalf("%s: %v", file, err)
				}
			}
		}
	})
}

// serviceAccountToken creates ServiceAccount name in ns and returns a token
// for it from the TokenRequest API, as kubectl create token does.
func serviceAccountToken(t *testing.T, ns, name string) string {
	t.Helper()
	cs, ctx := clientset(t), context.Background()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	expiry := int64(600)
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenRequest for %s/%s: %v", ns, name, err)
	}
	return tr.Status.Token
}

// bindRole grants ClusterRole role to ServiceAccount sa of saNS, with a
// RoleBinding in bindingNS, or a ClusterRoleBinding when bindingNS is "".
func bindRole(t *testing.T, saNS, sa, role, bindingNS string) {
	t.Helper()
	cs, ctx := clientset(t), context.Background()
	subjects := []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: saNS}}
	ref := rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role}
	name := fmt.Sprintf("%s-%s-%s", saNS, sa, role)
	var err error
	if bindingNS == "" {
		_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name}, Subjects: subjects, RoleRef: ref}, metav1.CreateOptions{})
		t.Cleanup(func() {
			_ = cs.RbacV1().ClusterRoleBindings().Delete(context.Background(), name, metav1.DeleteOptions{})
		})
	} else {
		_, err = cs.RbacV1().RoleBindings(bindingNS).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name}, Subjects: subjects, RoleRef: ref}, metav1.CreateOptions{})
	}
	if err != nil {
		t.Fatal(err)
	}
}

// waitGranted polls the API server until RBAC allows user the check:
// bindings reach the authorizer's cache a moment after they are stored,
// and the daemon would otherwise cache an early denial.
func waitGranted(t *testing.T, user string, ra *authorizationv1.ResourceAttributes, nra *authorizationv1.NonResourceAttributes) {
	t.Helper()
	cs := clientset(t)
	eventually(t, user+" granted", func() error {
		sar, err := cs.AuthorizationV1().SubjectAccessReviews().Create(context.Background(), &authorizationv1.SubjectAccessReview{
			Spec: authorizationv1.SubjectAccessReviewSpec{User: user, Groups: []string{"system:serviceaccounts", "system:authenticated"},
				ResourceAttributes: ra, NonResourceAttributes: nra}}, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		if !sar.Status.Allowed {
			return fmt.Errorf("not yet allowed: %s", sar.Status.Reason)
		}
		return nil
	})
}

// call makes one request to the daemon with a bearer token (none when
// empty) and returns the status, Content-Type and body.
func (d *daemon) call(t *testing.T, method, path, token string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, d.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), strings.TrimSpace(string(body))
}

// adminTokens creates three ServiceAccounts in ns and returns their
// tokens by name: "operator" bound to zen-watcher-dlq-operator in ns,
// "scraper" to zen-watcher-metrics-reader, and "nobody" to nothing; it
// returns once RBAC grants what the bindings say.
func adminTokens(t *testing.T, ns string) map[string]string {
	t.Helper()
	applyRBAC(t)
	tokens := map[string]string{}
	for _, name := range []string{"operator", "scraper", "nobody"} {
		tokens[name] = serviceAccountToken(t, ns, name)
	}
	bindRole(t, ns, "operator", "zen-watcher-dlq-operator", ns)
	bindRole(t, ns, "scraper", "zen-watcher-metrics-reader", "")
	waitGranted(t, "system:serviceaccount:"+ns+":operator", &authorizationv1.ResourceAttributes{Namespace: ns, Verb: "create",
		Group: "zen.kube-zen.io", Resource: "deadletters", Subresource: "replay"}, nil)
	waitGranted(t, "system:serviceaccount:"+ns+":scraper", nil, &authorizationv1.NonResourceAttributes{Path: "/metrics", Verb: "get"})
	return tokens
}
