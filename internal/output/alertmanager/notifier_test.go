package alertmanager

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/output"
)

func event(state zenv1.State) *zenv1.ZenAgentEvent {
	first := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	e := &zenv1.ZenAgentEvent{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "falco-abc"},
		Spec: zenv1.ZenAgentEventSpec{Source: "falco", Severity: "CRITICAL", EventType: "runtime-security", Rule: "Terminal shell in container",
			Title: "A shell was spawned", Resource: &zenv1.ResourceRef{Kind: "Pod", Name: "web-1", Namespace: "shop"}},
		Status: zenv1.ZenAgentEventStatus{Count: 3, FirstSeen: &first, State: state},
	}
	if state == zenv1.StateResolved {
		r := metav1.NewTime(first.Add(time.Hour))
		e.Status.ResolvedAt = &r
	}
	return e
}

func secretsOf(m map[string]string) output.Secrets {
	return func(_ context.Context, ref v1alpha1.SecretKeyRef) ([]byte, error) {
		v, ok := m[ref.Name+"/"+ref.Key]
		if !ok {
			return nil, errors.New("no such secret")
		}
		return []byte(v), nil
	}
}

func newNotifier(t *testing.T, url string, spec *v1alpha1.AlertmanagerOutput, secrets map[string]string) output.Notifier {
	t.Helper()
	if spec == nil {
		spec = &v1alpha1.AlertmanagerOutput{}
	}
	spec.URL = url
	n, err := New(context.Background(), &v1alpha1.ZenOutput{Spec: v1alpha1.ZenOutputSpec{Alertmanager: spec}}, secretsOf(secrets), DefaultResendInterval)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNotifyPostsAlerts(t *testing.T) {
	var got []alert
	var auth, path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path, auth = r.URL.Path, r.Header.Get("Authorization")
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Errorf("decoding: %v", err)
		}
	}))
	defer srv.Close()
	n := newNotifier(t, srv.URL+"/am/", &v1alpha1.AlertmanagerOutput{BearerTokenSecretRef: &v1alpha1.SecretKeyRef{Name: "am", Key: "token"}},
		map[string]string{"am/token": "s3cret\n"})
	retry, err := n.Notify(context.Background(), []output.Delivery{{Event: event("Open"), Trigger: output.TriggerCreated}, {Event: event("Resolved"), Trigger: output.TriggerResolved}})
	if err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	if path != "/am/api/v2/alerts" || auth != "Bearer s3cret" {
		t.Fatalf("path %q auth %q", path, auth)
	}
	if len(got) != 2 {
		t.Fatalf("got %d alerts, want 2", len(got))
	}
	want := map[string]string{"alertname": "ZenWatcherFinding", "severity": "critical", "source": "falco", "namespace": "shop",
		"eventType": "runtime-security", "resource_kind": "Pod", "resource_name": "web-1", "rule": "Terminal shell in container", "finding": "falco-abc"}
	for k, v := range want {
		if got[0].Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, got[0].Labels[k], v)
		}
	}
	if got[0].Annotations["summary"] != "A shell was spawned" || !strings.Contains(got[0].Annotations["description"], "Seen 3 time(s) since 2026-01-02T03:04:05Z") {
		t.Errorf("annotations = %v", got[0].Annotations)
	}
	if !got[0].StartsAt.Equal(event("Open").Status.FirstSeen.Time) || !got[0].EndsAt.IsZero() {
		t.Errorf("open alert: startsAt %v endsAt %v", got[0].StartsAt, got[0].EndsAt)
	}
	if !got[1].EndsAt.Equal(event("Resolved").Status.ResolvedAt.Time) {
		t.Errorf("resolved alert endsAt %v, want resolvedAt", got[1].EndsAt)
	}
}

func TestNotifyClassifiesAnswers(t *testing.T) {
	cases := []struct {
		status     int
		retryAfter string
		retry      bool
		after      time.Duration
	}{
		{500, "", true, 0},
		{503, "7", true, 7 * time.Second},
		{429, "2", true, 2 * time.Second},
		{408, "", true, 0},
		{400, "", false, 0},
		{401, "", false, 0},
		{404, "30", false, 0},
	}
	for _, tc := range cases {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			if tc.retryAfter != "" {
				w.Header().Set("Retry-After", tc.retryAfter)
			}
			http.Error(w, "nope", tc.status)
		}))
		n := newNotifier(t, srv.URL, nil, nil)
		retry, err := n.Notify(context.Background(), []output.Delivery{{Event: event("Open"), Trigger: output.TriggerCreated}})
		srv.Close()
		if err == nil || retry != tc.retry || !strings.Contains(err.Error(), "nope") {
			t.Errorf("status %d: retry %v err %v, want retry %v", tc.status, retry, err, tc.retry)
		}
		if after, ok := output.RetryAfter(err); ok != (tc.after > 0) || after != tc.after {
			t.Errorf("status %d: Retry-After %v %v, want %v", tc.status, after, ok, tc.after)
		}
	}
	n := newNotifier(t, "http://127.0.0.1:1", nil, nil)
	if retry, err := n.Notify(context.Background(), []output.Delivery{{Event: event("Open")}}); err == nil || !retry {
		t.Errorf("connection refused: retry %v err %v, want a retry", retry, err)
	}
}

func TestNewRefusesBadSpecs(t *testing.T) {
	spec := func(s v1alpha1.AlertmanagerOutput) *v1alpha1.ZenOutput {
		return &v1alpha1.ZenOutput{Spec: v1alpha1.ZenOutputSpec{Alertmanager: &s}}
	}
	ref := &v1alpha1.SecretKeyRef{Name: "tls", Key: "ca.crt"}
	secrets := secretsOf(map[string]string{"tls/ca.crt": "not a certificate"})
	for name, o := range map[string]*v1alpha1.ZenOutput{
		"no url":        spec(v1alpha1.AlertmanagerOutput{URL: "://"}),
		"ftp":           spec(v1alpha1.AlertmanagerOutput{URL: "ftp://am"}),
		"bad ca":        spec(v1alpha1.AlertmanagerOutput{URL: "https://am", TLS: &v1alpha1.OutputTLS{CASecretRef: ref}}),
		"no token":      spec(v1alpha1.AlertmanagerOutput{URL: "https://am", BearerTokenSecretRef: &v1alpha1.SecretKeyRef{Name: "x", Key: "y"}}),
		"not this kind": {},
	} {
		if _, err := New(context.Background(), o, secrets, DefaultResendInterval); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestNotifyVerifiesWithTheGivenCA(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	pem := certPEM(srv.Certificate().Raw)
	ca := &v1alpha1.SecretKeyRef{Name: "tls", Key: "ca.crt"}
	n := newNotifier(t, srv.URL, &v1alpha1.AlertmanagerOutput{TLS: &v1alpha1.OutputTLS{CASecretRef: ca}}, map[string]string{"tls/ca.crt": pem})
	if _, err := n.Notify(context.Background(), []output.Delivery{{Event: event("Open")}}); err != nil {
		t.Fatalf("with the CA: %v", err)
	}
	plain := newNotifier(t, srv.URL, nil, nil)
	if _, err := plain.Notify(context.Background(), []output.Delivery{{Event: event("Open")}}); err == nil {
		t.Fatal("without the CA, a self-signed server must be refused")
	}
}

func certPEM(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
