package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/kube-zen/zen-watcher/api/v1alpha1"
)

// exampleSource reads a ZenSource of deploy/examples/sources into ns.
func exampleSource(t *testing.T, file, ns string) *v1alpha1.ZenSource {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(), "deploy", "examples", "sources", file))
	if err != nil {
		t.Fatal(err)
	}
	src := &v1alpha1.ZenSource{}
	if err := yaml.UnmarshalStrict(data, src); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	src.Namespace = ns
	return src
}

// examplePayload reads a payload of deploy/examples/sources.
func examplePayload(t *testing.T, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(), "deploy", "examples", "sources", file))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// putSecret creates or replaces a Secret in ns.
func putSecret(t *testing.T, ns, name string, data map[string]string) {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, StringData: data}
	err := k8sClient.Create(context.Background(), s)
	if err == nil {
		return
	}
	cur := &corev1.Secret{}
	if err := k8sClient.Get(context.Background(), client.ObjectKeyFromObject(s), cur); err != nil {
		t.Fatal(err)
	}
	cur.Data, cur.StringData = nil, data
	if err := k8sClient.Update(context.Background(), cur); err != nil {
		t.Fatal(err)
	}
}

// tokenSource is a webhook ZenSource in ns reading its token from the
// Secret of its own name, with a mapping of one item per body.
func tokenSource(ns, name string) *v1alpha1.ZenSource {
	return &v1alpha1.ZenSource{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.ZenSourceSpec{
			Webhook: &v1alpha1.WebhookSource{Auth: v1alpha1.WebhookAuth{TokenSecretRef: &v1alpha1.SecretKeyRef{Name: name, Key: "token"}}},
			Mapping: v1alpha1.Mapping{Severity: `item.severity`, Category: `"security"`, EventType: `"test"`, DedupKey: `item.id`,
				Resource: `has(item.ns) ? {"kind": "Pod", "name": "p", "namespace": item.ns} : {"kind": "Pod", "name": "p"}`},
		},
	}
}

// readyIs waits until key's status says Ready has status want (and the
// reason, when given) for its current generation.
func readyIs(t *testing.T, key types.NamespacedName, want metav1.ConditionStatus, reason string) *v1alpha1.ZenSource {
	t.Helper()
	src := &v1alpha1.ZenSource{}
	eventually(t, fmt.Sprintf("%s Ready=%s %s", key, want, reason), func() error {
		if err := k8sClient.Get(context.Background(), key, src); err != nil {
			return err
		}
		c := meta.FindStatusCondition(src.Status.Conditions, v1alpha1.ConditionReady)
		switch {
		case c == nil:
			return fmt.Errorf("no condition")
		case src.Status.ObservedGeneration != src.Generation:
			return fmt.Errorf("observed generation %d of %d", src.Status.ObservedGeneration, src.Generation)
		case c.Status != want || (reason != "" && c.Reason != reason):
			return fmt.Errorf("Ready=%s %s: %s", c.Status, c.Reason, c.Message)
		}
		return nil
	})
	return src
}

// postStatus posts until the answer is want, and returns its body.
func (d *daemon) postUntil(t *testing.T, path, token string, body []byte, want int) string {
	t.Helper()
	var out string
	eventually(t, fmt.Sprintf("POST %s answers %d", path, want), func() error {
		var code int
		if code, out = d.post(t, path, token, body); code != want {
			return fmt.Errorf("answered %d: %s", code, out)
		}
		return nil
	})
	return out
}
