package slack

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kube-zen/zen-watcher/api/v1alpha1"
)

func TestBuilder(t *testing.T) {
	cluster := func(context.Context) (string, error) { return "cluster-a", nil }
	value, fail := "https://hooks.example/services/T0/B0/SECRET\n", error(nil)
	secrets := func(context.Context, v1alpha1.SecretKeyRef) ([]byte, error) { return []byte(value), fail }
	o := &v1alpha1.ZenOutput{Spec: v1alpha1.ZenOutputSpec{Slack: &v1alpha1.SlackOutput{WebhookURLSecretRef: v1alpha1.SecretKeyRef{Name: "slack", Key: "url"}}}}
	if _, err := Builder(cluster)(context.Background(), o, secrets); err != nil {
		t.Fatal(err)
	}
	value = "hooks.example/services/SECRET"
	if _, err := Builder(cluster)(context.Background(), o, secrets); err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("a malformed URL: %v", err)
	}
	fail = errors.New("forbidden")
	if _, err := Builder(cluster)(context.Background(), o, secrets); !errors.Is(err, fail) {
		t.Fatalf("an unreadable Secret: %v", err)
	}
	if _, err := Builder(cluster)(context.Background(), &v1alpha1.ZenOutput{}, secrets); err == nil {
		t.Fatal("a spec without slack was built")
	}
}
