package integration

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/api/v1alpha1"
)

// Shared by every test in the package: one control plane with the
// project's CRDs, started once because it takes seconds.
var (
	restConfig *rest.Config
	k8sClient  client.Client
	kubeconfig string // path to a kubeconfig file for kubectl
)

// repoRoot is found from this file's location, so tests run from any folder.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// assetsDir is where envtest finds kube-apiserver, etcd and kubectl.
func assetsDir() string {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir
	}
	return filepath.Join(repoRoot(), "bin", "k8s")
}

// newEnvironment describes a control plane with the given CRD folders.
func newEnvironment(crdDirs ...string) *envtest.Environment {
	return &envtest.Environment{
		BinaryAssetsDirectory: assetsDir(),
		CRDDirectoryPaths:     crdDirs,
		ErrorIfCRDPathMissing: true,
	}
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	ctrllog.SetLogger(logr.Discard())
	if _, err := os.Stat(filepath.Join(assetsDir(), "kube-apiserver")); err != nil {
		fmt.Fprintf(os.Stderr, "integration: no control plane in %s (run `make tools`): %v\n", assetsDir(), err)
		return 1
	}
	if err := errors.Join(zenv1.AddToScheme(scheme.Scheme), v1alpha1.AddToScheme(scheme.Scheme), apiextensionsv1.AddToScheme(scheme.Scheme)); err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	env := newEnvironment(filepath.Join(repoRoot(), "config", "crd"))
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration: starting control plane:", err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	defer removePlugin()

	restConfig = cfg
	if k8sClient, err = client.New(cfg, client.Options{Scheme: scheme.Scheme}); err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "zen-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, env.KubeConfig, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	return m.Run()
}

// zaeGVR is the ZenAgentEvent resource, for the dynamic client.
var zaeGVR = schema.GroupVersionResource{Group: zenv1.GroupVersion.Group, Version: zenv1.GroupVersion.Version, Resource: zenv1.ZenAgentEventResource}
