package webhook

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kube-zen/zen-watcher/api/v1alpha1"
)

func TestBuilder(t *testing.T) {
	cluster := func(context.Context) (string, error) { return "cluster-a", nil }
	values := map[string]string{"key": "new-key\nold-key\n", "token": " tok "}
	secrets := func(_ context.Context, ref v1alpha1.SecretKeyRef) ([]byte, error) {
		v, ok := values[ref.Key]
		if !ok {
			return nil, errors.New("secret not found")
		}
		return []byte(v), nil
	}
	o := &v1alpha1.ZenOutput{Spec: v1alpha1.ZenOutputSpec{Webhook: &v1alpha1.WebhookOutput{URL: "https://hub.example/api/v1/sources/hub/a",
		HMACSecretRef: &v1alpha1.SecretKeyRef{Name: "s", Key: "key"}, TokenSecretRef: &v1alpha1.SecretKeyRef{Name: "s", Key: "token"}}}}
	n, err := Builder(cluster)(context.Background(), o, secrets)
	if err != nil {
		t.Fatal(err)
	}
	key, token, err := n.(*Notifier).cfg.Credentials(context.Background())
	if err != nil || string(key) != "new-key" || token != "tok" || !n.(*Notifier).cfg.Batch {
		t.Fatalf("credentials %q %q %v", key, token, err)
	}
	o.Spec.Webhook.HMACSecretRef.Key = "missing"
	if _, err := Builder(cluster)(context.Background(), o, secrets); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("a missing Secret: %v", err)
	}
	o.Spec.Webhook.HMACSecretRef.Key = "key"
	o.Spec.Webhook.Headers = map[string]string{"X-Signature": "forged"}
	if _, err := Builder(cluster)(context.Background(), o, secrets); err == nil || !strings.Contains(err.Error(), "cannot be overridden") {
		t.Fatalf("a reserved header: %v", err)
	}
	noCluster := func(context.Context) (string, error) { return "", errors.New("set CLUSTER_NAME") }
	if _, err := Builder(noCluster)(context.Background(), o, secrets); err == nil || !strings.Contains(err.Error(), "CLUSTER_NAME") {
		t.Fatalf("no cluster name: %v", err)
	}
	if _, err := Builder(cluster)(context.Background(), &v1alpha1.ZenOutput{}, secrets); err == nil {
		t.Fatal("a spec without webhook was built")
	}
}
