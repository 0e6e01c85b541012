package integration

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-zen/zen-watcher/api/v1alpha1"
)

// TestZenOutputCRDValidation checks the rules the CRD enforces on its own:
// exactly one destination, known triggers and severities, paired client
// certificate and key, http(s) URLs.
func TestZenOutputCRDValidation(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	am := &v1alpha1.AlertmanagerOutput{URL: "http://127.0.0.1:9093"}
	slack := &v1alpha1.SlackOutput{WebhookURLSecretRef: v1alpha1.SecretKeyRef{Name: "slack", Key: "url"}}
	cases := []struct {
		name    string
		spec    v1alpha1.ZenOutputSpec
		wantErr string
	}{
		{"alertmanager", v1alpha1.ZenOutputSpec{Alertmanager: am, MinSeverity: "HIGH", On: []v1alpha1.OutputTrigger{"Created", "Resolved"}}, ""},
		{"none", v1alpha1.ZenOutputSpec{}, "exactly one of alertmanager, webhook or slack"},
		{"two", v1alpha1.ZenOutputSpec{Alertmanager: am, Slack: slack}, "exactly one of alertmanager, webhook or slack"},
		{"bad trigger", v1alpha1.ZenOutputSpec{Slack: slack, On: []v1alpha1.OutputTrigger{"Deleted"}}, "Unsupported value"},
		{"bad severity", v1alpha1.ZenOutputSpec{Slack: slack, MinSeverity: "URGENT"}, "Unsupported value"},
		{"ftp url", v1alpha1.ZenOutputSpec{Alertmanager: &v1alpha1.AlertmanagerOutput{URL: "ftp://host/x"}}, "http or https URL"},
		{"cert without key", v1alpha1.ZenOutputSpec{Alertmanager: &v1alpha1.AlertmanagerOutput{URL: "https://am:9093",
			TLS: &v1alpha1.OutputTLS{CertSecretRef: &v1alpha1.SecretKeyRef{Name: "c", Key: "tls.crt"}}}}, "go together"},
		{"zero rate", v1alpha1.ZenOutputSpec{Slack: slack, RateLimit: &v1alpha1.OutputRateLimit{}}, "perMinute"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := &v1alpha1.ZenOutput{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "o" + string(rune('a'+i))}, Spec: tc.spec}
			err := k8sClient.Create(ctx, o)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("create: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("create: got %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}
