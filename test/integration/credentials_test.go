package integration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/webhook"
)

// fingerprint is how a sender annotation names a token or key.
func fingerprint(secret string) string {
	d := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(d[:4])
}

// senderOf waits for the Falco event of rule and returns its sender
// annotation.
func senderOf(t *testing.T, rule string) string {
	t.Helper()
	var sender string
	eventually(t, "the event of "+rule, func() error {
		var list zenv1.ZenAgentEventList
		if err := k8sClient.List(context.Background(), &list, client.InNamespace("default"), client.MatchingLabels{zenv1.LabelSource: "falco"}); err != nil {
			return err
		}
		for _, e := range list.Items {
			var details struct{ Rule string }
			if e.Spec.Details != nil && json.Unmarshal(e.Spec.Details.Raw, &details) == nil && details.Rule == rule {
				sender = e.Annotations[zenv1.AnnotationSender]
				return nil
			}
		}
		return fmt.Errorf("no event of %q yet", rule)
	})
	return sender
}

// TestWebhookCredentialsArePerEndpoint: a token or key configured for one
// webhook is refused on the other with 401, the shared ones open both, and
// each stored event names its sender without its secret.
func TestWebhookCredentialsArePerEndpoint(t *testing.T) {
	const falcoToken, auditToken, falcoKey = "falco-only-token-4n2", "audit-only-token-8k1", "falco-only-hmac-key-9q"
	d := startWebhookDaemon(t, func(c *config.Config) {
		c.Webhooks.Falco.Token, c.Webhooks.Audit.Token, c.Webhooks.Falco.HMACSecret = falcoToken, auditToken, falcoKey
	})
	auditBody := []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"cred-routine","stage":"ResponseComplete",` +
		`"verb":"get","user":{"username":"system:node:n1"},"objectRef":{"resource":"configmaps","namespace":"kube-system","name":"x"},"responseStatus":{"code":200}}`)
	now := strconv.FormatInt(time.Now().Unix(), 10)
	signed := func(path string, body []byte, nonce string) int {
		code, _ := d.postWith(t, path, "", body, webhook.HeaderTimestamp, now, webhook.HeaderNonce, nonce,
			webhook.HeaderSignature, signature(falcoKey, now, nonce, string(body)))
		return code
	}
	byToken, byShared, byKey := "Per-endpoint token "+uniqueName(t), "Shared token "+uniqueName(t), "Per-endpoint key "+uniqueName(t)
	for _, tc := range []struct {
		name string
		code int
		want int
	}{
		{"the audit token on Falco", first(d.post(t, "/falco/webhook", auditToken, alert("crossed", "p"))), http.StatusUnauthorized},
		{"the Falco token on audit", first(d.post(t, "/audit/webhook", falcoToken, auditBody)), http.StatusUnauthorized},
		{"the Falco key on audit", signed("/audit/webhook", auditBody, "cred-nonce-0000001"), http.StatusUnauthorized},
		{"the Falco token on Falco", first(d.post(t, "/falco/webhook", falcoToken, alert(byToken, "p1"))), http.StatusAccepted},
		{"the shared token on Falco", first(d.post(t, "/falco/webhook", webhookToken, alert(byShared, "p2"))), http.StatusAccepted},
		{"the shared token on audit", first(d.post(t, "/audit/webhook", webhookToken, auditBody)), http.StatusAccepted},
		{"the audit token on audit", first(d.post(t, "/audit/webhook", auditToken, auditBody)), http.StatusAccepted},
		{"the Falco key on Falco", signed("/falco/webhook", alert(byKey, "p3"), "cred-nonce-0000002"), http.StatusAccepted},
	} {
		if tc.code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, tc.code, tc.want)
		}
	}
	for rule, want := range map[string]string{byToken: "token:" + fingerprint(falcoToken), byShared: "token:" + fingerprint(webhookToken), byKey: "hmac:" + fingerprint(falcoKey)} {
		if got := senderOf(t, rule); got != want {
			t.Errorf("%s: sender %q, want %q", rule, got, want)
		}
	}
}

func first(code int, _ string) int { return code }

// TestMutualTLSAllowedNames: a certificate from the right CA is refused
// with 403 when none of its names is allowed on the endpoint, and an event
// sent with an allowed one names its subject as the sender.
func TestMutualTLSAllowedNames(t *testing.T) {
	ca := newTestCA(t)
	certFile, keyFile, caFile := ca.servingFiles(t)
	d := startDaemonWith(t, restConfig, func(c *config.Config) {
		c.Webhooks.TLSCertFile, c.Webhooks.TLSKeyFile, c.Webhooks.TLSClientCAFile = certFile, keyFile, caFile
		c.Webhooks.Falco.AllowedNames = []string{"*.falco.svc"}
		c.Webhooks.Audit.AllowedNames = []string{"kube-apiserver"}
	})
	url := strings.Replace(d.url, "http://", "https://", 1)
	falco, kyverno, apiserver := ca.client(t, "falco-0.falco.svc", 3), ca.client(t, "kyverno", 4), ca.client(t, "kube-apiserver", 5)
	eventually(t, "HTTPS served", func() error {
		resp, err := falco.Get(url + "/health")
		if err == nil {
			resp.Body.Close()
		}
		return err
	})
	rule := "mTLS sender " + uniqueName(t)
	post := func(c *http.Client, path string, body []byte) int { return postJSON(t, c, url+path, "", body) }
	for _, tc := range []struct {
		name string
		code int
		want int
	}{
		{"another name on Falco", post(kyverno, "/falco/webhook", alert("mtls refused", "p")), http.StatusForbidden},
		{"the audit name on Falco", post(apiserver, "/falco/webhook", alert("mtls refused", "p")), http.StatusForbidden},
		{"the Falco name on audit", post(falco, "/audit/webhook", []byte(`{}`)), http.StatusForbidden},
		{"an allowed name", post(falco, "/falco/webhook", alert(rule, "mtls-pod")), http.StatusAccepted},
	} {
		if tc.code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, tc.code, tc.want)
		}
	}
	if got := senderOf(t, rule); got != "mtls:CN=falco-0.falco.svc" {
		t.Errorf("sender %q", got)
	}
	if v := counterValue(t, d.registry, "zen_watcher_webhook_auth_failures_total"); v != 3 {
		t.Errorf("auth failures counted: %v, want 3", v)
	}
}
