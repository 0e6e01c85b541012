package integration

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/kube-zen/zen-watcher/internal/app"
	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/test/fixtures"
)

// installReportCRDs installs the Trivy and Kyverno CRDs from the fixtures.
// CRDs are cluster-wide and stay for the rest of the run.
func installReportCRDs(t *testing.T) {
	t.Helper()
	dir := fixtures.Dir()
	if _, err := envtest.InstallCRDs(restConfig, envtest.CRDInstallOptions{
		Paths: []string{filepath.Join(dir, "trivy", "crds"), filepath.Join(dir, "kyverno", "crds")}, ErrorIfPathMissing: true,
	}); err != nil {
		t.Fatal(err)
	}
}

// fixtureObjects reads every object of a fixture YAML file, ready to create.
func fixtureObjects(t *testing.T, rel string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := fixtures.Objects(rel)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// plural maps the report kinds the tests create to their resources.
func plural(u *unstructured.Unstructured) schema.GroupVersionResource {
	gv, _ := schema.ParseGroupVersion(u.GetAPIVersion())
	return gv.WithResource(strings.ToLower(u.GetKind()) + "s")
}

// applyReport creates u, or replaces it when it exists.
func applyReport(t *testing.T, u *unstructured.Unstructured) {
	t.Helper()
	ctx := context.Background()
	res := dynamic.NewForConfigOrDie(restConfig).Resource(plural(u)).Namespace(u.GetNamespace())
	_, err := res.Create(ctx, u, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		cur, gerr := res.Get(ctx, u.GetName(), metav1.GetOptions{})
		if gerr != nil {
			t.Fatal(gerr)
		}
		u.SetResourceVersion(cur.GetResourceVersion())
		_, err = res.Update(ctx, u, metav1.UpdateOptions{})
	}
	if err != nil {
		t.Fatalf("applying %s %s/%s: %v", u.GetKind(), u.GetNamespace(), u.GetName(), err)
	}
}

func deleteReport(t *testing.T, u *unstructured.Unstructured) {
	t.Helper()
	err := dynamic.NewForConfigOrDie(restConfig).Resource(plural(u)).Namespace(u.GetNamespace()).Delete(context.Background(), u.GetName(), metav1.DeleteOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

// startSources runs the pipeline and every pull source, as the daemon does.
func startSources(t *testing.T, tune func(*config.Config)) (*running, *app.Sources) {
	t.Helper()
	cfg := defaultConfig(t)
	cfg.WatchInterval = time.Second
	cfg.EventNamespace = newNamespace(t)
	tune(&cfg)
	r := startPipeline(t, cfg)
	sources, err := app.NewSources(cfg, restConfig, r.Pipeline, r.Registry, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { sources.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	eventually(t, "sources synced", func() error {
		if !sources.HasSynced() {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	return r, sources
}
