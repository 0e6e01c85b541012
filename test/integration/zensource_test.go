package integration

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/secretref"
)

// TestZenSourceWebhooks runs two tenants' webhook sources of one name on a
// daemon: isolation of their events and credentials, a mapping broken and
// fixed, Secret rotation, and delete. Steps share the daemon and depend on
// each other in order.
func TestZenSourceWebhooks(t *testing.T) {
	ctx := context.Background()
	d := startWebhookDaemon(t, func(c *config.Config) { c.Webhooks.RateLimitRPS = 0 })
	nsA, nsB := newNamespace(t), newNamespace(t)
	putSecret(t, nsA, "scanner", map[string]string{"token": "token-a"})
	putSecret(t, nsB, "scanner", map[string]string{"token": "token-b"})
	a, b := tokenSource(nsA, "scanner"), tokenSource(nsB, "scanner")
	for _, s := range []*v1alpha1.ZenSource{a, b} {
		if err := k8sClient.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	keyA, keyB := client.ObjectKeyFromObject(a), client.ObjectKeyFromObject(b)
	pathA, pathB := "/api/v1/sources/"+nsA+"/scanner", "/api/v1/sources/"+nsB+"/scanner"
	item := []byte(`{"id":"x1","severity":"HIGH"}`)

	t.Run("each tenant's events stay in its namespace", func(t *testing.T) {
		st := readyIs(t, keyA, metav1.ConditionTrue, v1alpha1.ReasonReady)
		if st.Status.Type != v1alpha1.SourceTypeWebhook || st.Status.Endpoint != pathA {
			t.Errorf("type %q endpoint %q", st.Status.Type, st.Status.Endpoint)
		}
		readyIs(t, keyB, metav1.ConditionTrue, v1alpha1.ReasonReady)
		d.postUntil(t, pathA, "token-a", item, http.StatusAccepted)
		d.postUntil(t, pathB, "token-b", item, http.StatusAccepted)
		for _, ns := range []string{nsA, nsB} {
			eventually(t, "the event in "+ns, func() error {
				evs := listEvents(t, ns)
				if len(evs) != 1 {
					return fmt.Errorf("%d events", len(evs))
				}
				for _, ev := range evs {
					if ev.Spec.Source != "scanner" || ev.Spec.DedupKey != ns+"/scanner/x1" || ev.Spec.Severity != zenv1.SeverityHigh {
						return fmt.Errorf("event %s: %+v", ev.Name, ev.Spec)
					}
				}
				return nil
			})
		}
	})

	t.Run("per-source series", func(t *testing.T) {
		_, metrics := d.get(t, "/metrics")
		for _, want := range []string{
			`zen_watcher_zensource_ready{name="scanner",namespace="` + nsA + `"} 1`,
			`zen_watcher_zensource_requests_total{code="202",name="scanner",namespace="` + nsA + `"}`,
			`zen_watcher_zensource_items_total{name="scanner",namespace="` + nsA + `",outcome="received"}`,
		} {
			if !strings.Contains(metrics, want) {
				t.Errorf("no %s", want)
			}
		}
	})

	t.Run("another source's or the built-in token gets 401", func(t *testing.T) {
		for _, token := range []string{"token-b", webhookToken, ""} {
			if code, body := d.post(t, pathA, token, item); code != http.StatusUnauthorized {
				t.Errorf("token %q: %d %s", token, code, body)
			}
		}
	})

	t.Run("a resource in another namespace is rejected and counted", func(t *testing.T) {
		code, body := d.post(t, pathA, "token-a", []byte(`{"id":"x2","severity":"LOW","ns":"`+nsB+`"}`))
		if code != http.StatusBadRequest || !strings.Contains(body, "other-namespace") {
			t.Fatalf("%d %s", code, body)
		}
		eventually(t, "the counters", func() error {
			src := &v1alpha1.ZenSource{}
			if err := k8sClient.Get(ctx, keyA, src); err != nil {
				return err
			}
			if s := src.Status; s.Received < 2 || s.Stored < 1 || s.Rejected < 1 || s.LastEventTime == nil {
				return fmt.Errorf("status %+v", s)
			}
			return nil
		})
		if n := len(listEvents(t, nsB)); n != 1 {
			t.Errorf("%d events in the other namespace, want only its own", n)
		}
	})

	t.Run("a broken mapping answers 503 until fixed", func(t *testing.T) {
		update(t, keyA, func(s *v1alpha1.ZenSource) { s.Spec.Mapping.Severity = `item.severity.` })
		readyIs(t, keyA, metav1.ConditionFalse, v1alpha1.ReasonInvalidMapping)
		d.postUntil(t, pathA, "token-a", item, http.StatusServiceUnavailable)
		update(t, keyA, func(s *v1alpha1.ZenSource) { s.Spec.Mapping.Severity = `item.severity` })
		readyIs(t, keyA, metav1.ConditionTrue, v1alpha1.ReasonReady)
		d.postUntil(t, pathA, "token-a", item, http.StatusAccepted)
	})

	t.Run("a rotated Secret applies without a restart", func(t *testing.T) {
		putSecret(t, nsA, "scanner", map[string]string{"token": "token-a2"})
		d.postUntil(t, pathA, "token-a2", item, http.StatusAccepted)
		if code, _ := d.post(t, pathA, "token-a", item); code != http.StatusUnauthorized {
			t.Errorf("the old token still opens: %d", code)
		}
	})

	t.Run("a missing Secret is SecretNotFound", func(t *testing.T) {
		update(t, keyB, func(s *v1alpha1.ZenSource) { s.Spec.Webhook.Auth.TokenSecretRef.Key = "other" })
		readyIs(t, keyB, metav1.ConditionFalse, v1alpha1.ReasonSecretNotFound)
		d.postUntil(t, pathB, "token-b", item, http.StatusServiceUnavailable)
	})

	t.Run("a built-in name is refused", func(t *testing.T) {
		s := tokenSource(nsA, "falco")
		if err := k8sClient.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
		readyIs(t, client.ObjectKeyFromObject(s), metav1.ConditionFalse, v1alpha1.ReasonNameConflict)
	})

	t.Run("delete answers 404 and removes the series", func(t *testing.T) {
		if err := k8sClient.Delete(ctx, a); err != nil {
			t.Fatal(err)
		}
		d.postUntil(t, pathA, "token-a2", item, http.StatusNotFound)
		eventually(t, "the series gone", func() error {
			_, metrics := d.get(t, "/metrics")
			if strings.Contains(metrics, `name="scanner",namespace="`+nsA+`"`) {
				return fmt.Errorf("series of the deleted source remain")
			}
			return nil
		})
	})
}

// update changes a ZenSource's spec, retrying on conflicts with the
// status writers.
func update(t *testing.T, key client.ObjectKey, change func(*v1alpha1.ZenSource)) {
	t.Helper()
	eventually(t, "updating "+key.String(), func() error {
		s := &v1alpha1.ZenSource{}
		if err := k8sClient.Get(context.Background(), key, s); err != nil {
			return err
		}
		change(s)
		return k8sClient.Update(context.Background(), s)
	})
}

// TestZenSourceFloodFairness floods one tenant's source at ten times its
// rate limit while another tenant posts in the same seconds: the flood
// gets 429s, the other tenant's requests all succeed.
func TestZenSourceFloodFairness(t *testing.T) {
	ctx := context.Background()
	d := startWebhookDaemon(t, func(c *config.Config) { c.Webhooks.RateLimitRPS = 0 })
	nsA, nsB := newNamespace(t), newNamespace(t)
	putSecret(t, nsA, "flood", map[string]string{"token": "token-a"})
	putSecret(t, nsB, "quiet", map[string]string{"token": "token-b"})
	a, b := tokenSource(nsA, "flood"), tokenSource(nsB, "quiet")
	a.Spec.Webhook.RateLimit = &v1alpha1.RateLimit{RPS: 5, Burst: 5}
	b.Spec.Webhook.RateLimit = &v1alpha1.RateLimit{RPS: 5, Burst: 5}
	for _, s := range []*v1alpha1.ZenSource{a, b} {
		if err := k8sClient.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
		readyIs(t, client.ObjectKeyFromObject(s), metav1.ConditionTrue, v1alpha1.ReasonReady)
	}
	pathA, pathB := "/api/v1/sources/"+nsA+"/flood", "/api/v1/sources/"+nsB+"/quiet"
	d.postUntil(t, pathB, "token-b", []byte(`{"id":"warm","severity":"LOW"}`), http.StatusAccepted)

	// 2 s at 50 requests a second against a limit of 5, while the quiet
	// tenant sends 2 a second, within its own limit.
	const seconds, floodRate, quietRate = 2, 50, 2
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[string]map[int]int{"flood": {}, "quiet": {}}
	send := func(who, path, token string, rate int) {
		defer wg.Done()
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		for i := range seconds * rate {
			<-tick.C
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, _ := d.post(t, path, token, []byte(fmt.Sprintf(`{"id":"%s-%d","severity":"LOW"}`, who, i)))
				mu.Lock()
				codes[who][code]++
				mu.Unlock()
			}()
		}
	}
	wg.Add(2)
	go send("flood", pathA, "token-a", floodRate)
	go send("quiet", pathB, "token-b", quietRate)
	wg.Wait()
	if codes["flood"][http.StatusTooManyRequests] == 0 {
		t.Errorf("the flood was never limited: %v", codes["flood"])
	}
	if q := codes["quiet"]; q[http.StatusAccepted] != seconds*quietRate {
		t.Errorf("the quiet tenant was not fully served: %v (flood: %v)", q, codes["flood"])
	}
}

// TestZenSourceExamples runs the examples of deploy/examples/sources with
// their sample payloads: Alertmanager's firing alerts become findings and
// its resolved notification resolves one; the scanner's schema refuses a
// bad body with the failing path.
func TestZenSourceExamples(t *testing.T) {
	ctx := context.Background()
	d := startWebhookDaemon(t, func(*config.Config) {})
	ns := newNamespace(t)
	putSecret(t, ns, "alertmanager-intake", map[string]string{"token": "am-token"})
	putSecret(t, ns, "scanner-intake", map[string]string{"token": "scan-token", "hmac-key": "scan-key"})
	for _, file := range []string{"alertmanager.yaml", "scanner.yaml"} {
		s := exampleSource(t, file, ns)
		if err := k8sClient.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
		readyIs(t, client.ObjectKeyFromObject(s), metav1.ConditionTrue, v1alpha1.ReasonReady)
	}

	t.Run("alertmanager", func(t *testing.T) {
		path := "/api/v1/sources/" + ns + "/alertmanager"
		payload := examplePayload(t, "alertmanager-payload.json")
		d.postUntil(t, path, "am-token", payload, http.StatusAccepted)
		eventually(t, "two alert events", func() error { return alertEvents(t, ns, 2, 0) })
		resolved := strings.Replace(string(payload), `"status": "firing",
      "labels": {"alertname": "KubePodCrashLooping"`, `"status": "resolved",
      "labels": {"alertname": "KubePodCrashLooping"`, 1)
		if resolved == string(payload) {
			t.Fatal("the payload changed shape")
		}
		d.postUntil(t, path, "am-token", []byte(resolved), http.StatusAccepted)
		eventually(t, "one alert resolved", func() error { return alertEvents(t, ns, 2, 1) })
	})

	t.Run("scanner", func(t *testing.T) {
		path := "/api/v1/sources/" + ns + "/scanner"
		body := d.postUntil(t, path, "scan-token", examplePayload(t, "scanner-payload.json"), http.StatusAccepted)
		if !strings.Contains(body, `"accepted":2`) || !strings.Contains(body, `"filtered":1`) {
			t.Errorf("receipt %s", body)
		}
		code, body := d.post(t, path, "scan-token", []byte(`{"scanner":"x","findings":[{"id":"a","severity":"urgent","image":"i"}]}`))
		if code != http.StatusBadRequest || !strings.Contains(body, `"pointer":"/findings/0/severity"`) {
			t.Errorf("a body against the schema: %d %s", code, body)
		}
	})
}

// alertEvents checks that ns holds want alert events, resolved of them
// Resolved.
func alertEvents(t *testing.T, ns string, want, resolved int) error {
	n, r := 0, 0
	for _, ev := range listEvents(t, ns) {
		if ev.Spec.Source != "alertmanager" {
			continue
		}
		n++
		if ev.Status.State == zenv1.StateResolved {
			r++
		}
	}
	if n != want || r != resolved {
		return fmt.Errorf("%d alert events, %d resolved", n, r)
	}
	return nil
}

// TestZenSourceSecretForbidden runs the daemon as a ServiceAccount with
// everything it needs but Secrets: a tenant's source is Ready=False,
// SecretForbidden, and the RoleBinding its message names, created as
// written, makes it ready and served without a restart.
func TestZenSourceSecretForbidden(t *testing.T) {
	ctx := context.Background()
	home, tenant := newNamespace(t), newNamespace(t)
	user := "system:serviceaccount:" + home + ":zen-watcher"
	read := []string{"get", "list", "watch"}
	grant(t, "zen-"+home+"-base", user,
		rule("zen.kube-zen.io", []string{"zenagentevents"}, "get", "list", "watch", "create", "patch", "delete"),
		rule("zen.kube-zen.io", []string{"zensources"}, read...),
		rule("zen.kube-zen.io", []string{"zensources/status"}, "update"),
		rule("zen.kube-zen.io", []string{"zenoutputs"}, read...),
		rule("zen.kube-zen.io", []string{"zenoutputs/status"}, "update"),
		rule("coordination.k8s.io", []string{"leases"}, "get", "create", "update"),
		rule("", []string{"configmaps", "pods", "namespaces"}, read...),
		rule("events.k8s.io", []string{"events"}, "create", "patch", "update"),
		rule("authentication.k8s.io", []string{"tokenreviews"}, "create"),
		rule("authorization.k8s.io", []string{"subjectaccessreviews"}, "create"),
	)
	secrets := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: secretref.DefaultClusterRole},
		Rules: []rbacv1.PolicyRule{rule("", []string{"secrets"}, "get")}}
	if err := k8sClient.Create(ctx, secrets); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	rc := rest.CopyConfig(restConfig)
	rc.Impersonate = rest.ImpersonationConfig{UserName: user}
	d := startDaemonWith(t, rc, func(c *config.Config) {
		c.PodNamespace, c.WatchNamespace = home, home
		c.Webhooks.Token = webhookToken
	})
	putSecret(t, tenant, "intake", map[string]string{"token": "tenant-token"})
	src := tokenSource(tenant, "intake")
	if err := k8sClient.Create(ctx, src); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKeyFromObject(src)
	st := readyIs(t, key, metav1.ConditionFalse, v1alpha1.ReasonSecretForbidden)
	msg := meta.FindStatusCondition(st.Status.Conditions, v1alpha1.ConditionReady).Message
	i := strings.Index(msg, "kubectl ")
	if i < 0 || !strings.Contains(msg, "create rolebinding") || !strings.Contains(msg, secretref.DefaultClusterRole) || !strings.Contains(msg, home+":zen-watcher") {
		t.Fatalf("the message does not name the grant: %s", msg)
	}
	path := "/api/v1/sources/" + tenant + "/intake"
	d.postUntil(t, path, "tenant-token", []byte(`{"id":"a","severity":"LOW"}`), http.StatusServiceUnavailable)
	kubectl(t, strings.Fields(msg[i:])[1:]...)
	readyIs(t, key, metav1.ConditionTrue, v1alpha1.ReasonReady)
	d.postUntil(t, path, "tenant-token", []byte(`{"id":"a","severity":"LOW"}`), http.StatusAccepted)
}
