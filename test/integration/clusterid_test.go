package integration

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kube-zen/zen-watcher/internal/clusterid"
)

// TestClusterIDIsTheKubeSystemUID: without CLUSTER_NAME the cluster is
// named by the kube-system namespace's UID; a caller that may not read it
// is told what to set or grant; CLUSTER_NAME needs no access at all.
func TestClusterIDIsTheKubeSystemUID(t *testing.T) {
	ctx := context.Background()
	cs := clientset(t)
	ns, err := cs.CoreV1().Namespaces().Get(ctx, clusterid.Namespace, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := clusterid.New("", cs.CoreV1())
	for range 2 {
		if got, err := r.Name(ctx); err != nil || got != string(ns.UID) {
			t.Fatalf("got %q %v, want %s", got, err, ns.UID)
		}
	}
	nobody := rest.CopyConfig(restConfig)
	nobody.Impersonate = rest.ImpersonationConfig{UserName: "nobody-clusterid"}
	ncs := kubernetes.NewForConfigOrDie(nobody)
	if _, err := clusterid.New("", ncs.CoreV1()).Name(ctx); err == nil || !strings.Contains(err.Error(), "set CLUSTER_NAME, or grant get on namespaces/kube-system") {
		t.Fatalf("forbidden: %v", err)
	}
	if got, err := clusterid.New("prod-eu-1", ncs.CoreV1()).Name(ctx); err != nil || got != "prod-eu-1" {
		t.Fatalf("configured: %q %v", got, err)
	}
}
