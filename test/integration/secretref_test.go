package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/secretref"
)

// TestSecretRefReadsOnlyWhatATenantGranted runs the reader as a
// ServiceAccount with no Secret access at all. It is refused, and the
// refusal's hint, run as written with kubectl, is the grant that makes the
// next read work; rotation shows after the reuse window, never before.
func TestSecretRefReadsOnlyWhatATenantGranted(t *testing.T) {
	ctx := context.Background()
	tenant, home := newNamespace(t), newNamespace(t)
	sa := types.NamespacedName{Namespace: home, Name: "zen-watcher"}
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "secrets-" + tenant},
		Rules:      []rbacv1.PolicyRule{rule("", []string{"secrets"}, "get")},
	}
	if err := k8sClient.Create(ctx, role); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), role) })
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "intake", Namespace: tenant},
		Data:       map[string][]byte{"token": []byte("first"), "empty": {}},
	}
	if err := k8sClient.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}

	rc := rest.CopyConfig(restConfig)
	rc.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + sa.Namespace + ":" + sa.Name}
	cs := kubernetes.NewForConfigOrDie(rc)
	self, err := secretref.Self(ctx, cs.AuthenticationV1())
	if err != nil || self != sa {
		t.Fatalf("Self = %v, %v; want %v", self, err, sa)
	}
	clock := clocktesting.NewFakeClock(time.Now())
	r := secretref.NewReader(cs.CoreV1(), self)
	r.ClusterRole, r.Clock = role.Name, clock
	token := v1alpha1.SecretKeyRef{Name: "intake", Key: "token"}

	_, err = r.Get(ctx, tenant, token)
	if reason, _ := secretref.Reason(err); reason != v1alpha1.ReasonSecretForbidden {
		t.Fatalf("without a grant: %v (reason %q), want %s", err, reason, v1alpha1.ReasonSecretForbidden)
	}
	hint := err.Error()[strings.Index(err.Error(), "kubectl "):]
	kubectl(t, strings.Fields(hint)[1:]...)

	if _, err := r.Get(ctx, tenant, token); err == nil {
		t.Fatal("a refusal is reused for the TTL, so a grant shows only after it")
	}
	clock.Step(secretref.DefaultTTL)
	if v, err := r.Get(ctx, tenant, token); err != nil || string(v) != "first" {
		t.Fatalf("after the hint's RoleBinding: %q, %v", v, err)
	}

	secret.Data["token"] = []byte("second")
	if err := k8sClient.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if v, _ := r.Get(ctx, tenant, token); string(v) != "first" {
		t.Fatalf("within the TTL the last read is reused, got %q", v)
	}
	clock.Step(secretref.DefaultTTL)
	if v, err := r.Get(ctx, tenant, token); err != nil || string(v) != "second" {
		t.Fatalf("after rotation: %q, %v", v, err)
	}

	for _, c := range []struct {
		ns   string
		ref  v1alpha1.SecretKeyRef
		want string
	}{
		{tenant, v1alpha1.SecretKeyRef{Name: "intake", Key: "hmac"}, `has no key "hmac" (keys: empty, token)`},
		{tenant, v1alpha1.SecretKeyRef{Name: "intake", Key: "empty"}, "is empty"},
		{tenant, v1alpha1.SecretKeyRef{Name: "absent", Key: "token"}, "not found"},
		// The grant is per namespace: the same Secret name elsewhere stays closed.
		{home, token, "may not get Secret " + home + "/intake"},
	} {
		_, err := r.Get(ctx, c.ns, c.ref)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %+v: %v, want %q", c.ns, c.ref, err, c.want)
		}
		if _, ok := secretref.Reason(err); !ok {
			t.Errorf("%s %+v: %v has no Ready reason", c.ns, c.ref, err)
		}
	}
}
