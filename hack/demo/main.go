// Command demo feeds the local control plane that `make run` started with
// the shared samples of every source's output — Trivy and Kyverno reports
// (and their CRDs), kube-bench and Checkov result ConfigMaps, a Falco alert
// and an API server audit batch posted to the webhooks — and then lists the
// events zen-watcher made of them.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/test/fixtures"
)

func main() {
	// A flag set of its own: controller-runtime registers --kubeconfig on
	// the global one.
	fs := flag.NewFlagSet("demo", flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", ".run/kubeconfig", "kubeconfig of the local control plane")
	watcher := fs.String("watcher", "http://127.0.0.1:8080", "zen-watcher's HTTP address")
	tokenFile := fs.String("token-file", ".run/webhook-token", "the webhook token make run generated")
	_ = fs.Parse(os.Args[1:])
	if err := run(*kubeconfig, *watcher, *tokenFile); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, watcher, tokenFile string) error {
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return fmt.Errorf("%w (start the local control plane with 'make run' first)", err)
	}
	ctx := context.Background()
	cs := kubernetes.NewForConfigOrDie(rc)
	dyn := dynamic.NewForConfigOrDie(rc)

	crds := []string{filepath.Join(fixtures.Dir(), "trivy", "crds"), filepath.Join(fixtures.Dir(), "kyverno", "crds")}
	if _, err := envtest.InstallCRDs(rc, envtest.CRDInstallOptions{Paths: crds, ErrorIfPathMissing: true}); err != nil {
		return fmt.Errorf("installing the tools' CRDs: %w", err)
	}
	fmt.Println("demo: installed the Trivy and Kyverno CRDs")

	for _, ns := range []string{"kube-bench", "checkov", "staging-ns"} {
		if err := ensureNamespace(ctx, cs, ns); err != nil {
			return err
		}
	}
	for _, cm := range []struct{ ns, name, label, file, node string }{
		{"kube-bench", "kube-bench-node-a", "kube-bench", "kube-bench/full_run_cis-1.6_wg-policy-sample.json", "node-a"},
		{"checkov", "checkov-shop", "checkov", "checkov/kubernetes_single_framework.json", ""},
		{"checkov", "checkov-repo", "checkov", "checkov/multi_framework_list.json", ""},
	} {
		if err := applyResults(ctx, cs, cm.ns, cm.name, cm.label, cm.file, cm.node); err != nil {
			return err
		}
	}
	for _, rel := range []string{
		"trivy/vulnerabilityreport_nginx_docs.yaml", "trivy/vulnerabilityreport_coredns_envtest.yaml",
		"trivy/configauditreport_coredns_envtest.yaml", "trivy/configauditreport_pod_envtest_expected.yaml",
		"kyverno/clusterpolicyreport_cli_merged_docs.yaml", "kyverno/clusterpolicyreport_namespaces_chainsaw.yaml",
		"kyverno/policyreport_list_vap_docs.yaml", "kyverno/policyreport_pod_pass_fail_docs.yaml", "kyverno/policyreport_warn_chainsaw.yaml",
	} {
		objs, err := fixtures.Objects(rel)
		if err != nil {
			return err
		}
		for _, u := range objs {
			if u.GetKind() == "PolicyReport" && u.GetNamespace() == "" {
				u.SetNamespace(metav1.NamespaceDefault)
			}
			if err := applyObject(ctx, dyn, u); err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
		}
		fmt.Println("demo: applied", rel)
	}

	if err := postWebhooks(watcher, tokenFile); err != nil {
		return err
	}

	// zen-watcher notices the new CRDs within one WATCH_INTERVAL (30s by default).
	fmt.Println("demo: waiting for events from every source (up to a minute)")
	dyn = dynamic.NewForConfigOrDie(rc)
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(2 * time.Second) {
		if sources, err := eventSources(ctx, dyn); err == nil && len(sources) == 6 {
			break
		}
	}
	time.Sleep(3 * time.Second) // one FLUSH_INTERVAL and a little: counts are written
	return printEvents(ctx, dyn)
}

// eventSources returns the sources that have stored events so far.
func eventSources(ctx context.Context, dyn dynamic.Interface) (map[string]bool, error) {
	list, err := dyn.Resource(zenv1.GroupVersion.WithResource(zenv1.ZenAgentEventResource)).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, u := range list.Items {
		out[u.GetLabels()[zenv1.LabelSource]] = true
	}
	return out, nil
}

func ensureNamespace(ctx context.Context, cs kubernetes.Interface, name string) error {
	_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// applyResults writes a results ConfigMap as the tool's Job leaves it,
// labelled and annotated in the same write.
func applyResults(ctx context.Context, cs kubernetes.Interface, ns, name, app, file, node string) error {
	data, err := fixtures.Read(file)
	if err != nil {
		return err
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": app}},
		Data:       map[string]string{"results.json": string(data)},
	}
	if node != "" {
		cm.Annotations = map[string]string{"zen.kube-zen.io/node": node}
	}
	_, err = cs.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		_, err = cs.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{})
	}
	if err == nil {
		fmt.Printf("demo: applied %s/%s from %s\n", ns, name, file)
	}
	return err
}

func applyObject(ctx context.Context, dyn dynamic.Interface, u *unstructured.Unstructured) error {
	gv, err := schema.ParseGroupVersion(u.GetAPIVersion())
	if err != nil {
		return err
	}
	res := dyn.Resource(gv.WithResource(strings.ToLower(u.GetKind()) + "s")).Namespace(u.GetNamespace())
	_, err = res.Create(ctx, u, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		cur, gerr := res.Get(ctx, u.GetName(), metav1.GetOptions{})
		if gerr != nil {
			return gerr
		}
		u.SetResourceVersion(cur.GetResourceVersion())
		_, err = res.Update(ctx, u, metav1.UpdateOptions{})
	}
	return err
}

func printEvents(ctx context.Context, dyn dynamic.Interface) error {
	list, err := dyn.Resource(zenv1.GroupVersion.WithResource(zenv1.ZenAgentEventResource)).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAMESPACE\tSOURCE\tSEVERITY\tTYPE\tRULE\tRESOURCE\tSTATE\tCOUNT")
	for _, u := range list.Items {
		str := func(path ...string) string { s, _, _ := unstructured.NestedString(u.Object, path...); return s }
		count, _, _ := unstructured.NestedInt64(u.Object, "status", "count")
		resource := str("spec", "resource", "kind") + "/" + str("spec", "resource", "name")
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", u.GetNamespace(), str("spec", "source"), str("spec", "severity"),
			str("spec", "eventType"), str("spec", "rule"), strings.TrimPrefix(resource, "/"), str("status", "state"), count)
	}
	fmt.Fprintf(w, "%d events\n", len(list.Items))
	return w.Flush()
}
