package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// cluster is the benchmark's own control plane.
type cluster struct {
	env        *envtest.Environment
	rest       *rest.Config
	kubeconfig string
	client     client.Client // unthrottled, for setting the stage
}

// startCluster starts kube-apiserver and etcd from assets with the
// project's CRDs and Trivy's VulnerabilityReport (a schemaless stand-in,
// so a fresh clone needs no fixtures), in a fresh etcd under dir.
func startCluster(assets, crds, dir string) (*cluster, error) {
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{crds},
		CRDs:                  []*apiextensionsv1.CustomResourceDefinition{vulnerabilityReportCRD()},
		ErrorIfCRDPathMissing: true,
	}
	env.ControlPlane.Etcd = &envtest.Etcd{DataDir: filepath.Join(dir, "etcd")}
	rc, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting the control plane from %s: %w", assets, err)
	}
	c := &cluster{env: env, kubeconfig: filepath.Join(dir, "kubeconfig")}
	if err := os.WriteFile(c.kubeconfig, env.KubeConfig, 0o600); err != nil {
		_ = env.Stop()
		return nil, fmt.Errorf("writing kubeconfig: %w", err)
	}
	c.rest = rest.CopyConfig(rc)
	c.rest.QPS, c.rest.Burst = -1, 0 // no client-side limit for the stage
	scheme := runtime.NewScheme()
	_ = zenv1.AddToScheme(scheme)
	_ = corev1.AddToScheme(scheme)
	if c.client, err = client.New(c.rest, client.Options{Scheme: scheme}); err != nil {
		_ = env.Stop()
		return nil, err
	}
	return c, nil
}

func (c *cluster) stop() {
	if err := c.env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "bench: stopping the control plane:", err)
	}
}

// namespace creates a namespace named after prefix.
func (c *cluster) namespace(ctx context.Context, prefix string) (string, error) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}
	if err := c.client.Create(ctx, ns); err != nil {
		return "", fmt.Errorf("creating a namespace: %w", err)
	}
	return ns.Name, nil
}

// synthetic is finding i of the benchmark's made-up source in ns.
func synthetic(ns string, i int, at time.Time) finding.Finding {
	sev := []zenv1.Severity{zenv1.SeverityCritical, zenv1.SeverityHigh, zenv1.SeverityMedium, zenv1.SeverityLow, zenv1.SeverityInfo}[i%5]
	return finding.Finding{
		Source: "bench", Category: zenv1.CategorySecurity, Severity: sev, EventType: "vulnerability",
		Resource:   &zenv1.ResourceRef{APIVersion: "apps/v1", Kind: "Deployment", Name: fmt.Sprintf("app-%d", i), Namespace: ns},
		Details:    map[string]any{"vulnerabilityID": fmt.Sprintf("CVE-2026-%05d", i), "score": 7.5, "package": "openssl"},
		DetectedAt: at,
		DedupKey:   fmt.Sprintf("%s/Deployment/app-%d/main/CVE-2026-%05d", ns, i, i),
	}
}

// rawEvent is what a plain client stores for f: the same name, labels and
// spec as the writer's event, with status count 1 in the same request.
func rawEvent(f finding.Finding) *zenv1.ZenAgentEvent {
	ev := &zenv1.ZenAgentEvent{Spec: zenv1.ZenAgentEventSpec{Source: f.Source, Category: f.Category, Severity: f.Severity,
		EventType: f.EventType, Resource: f.Resource, DedupKey: f.DedupKey}}
	ev.Name, ev.Namespace = finding.ObjectName(f.Source, f.DedupKey, 0), f.Resource.Namespace
	ev.Labels = map[string]string{zenv1.LabelSource: f.Source, zenv1.LabelCategory: string(f.Category),
		zenv1.LabelSeverity: string(f.Severity), zenv1.LabelKeyHash: finding.KeyHash(f.Source, f.DedupKey), zenv1.LabelGeneration: "0"}
	ev.Spec.DetectedAt.Time = f.DetectedAt
	if raw, err := json.Marshal(f.Details); err == nil {
		ev.Spec.Details = &apiextensionsv1.JSON{Raw: raw}
	}
	seen := metav1.NewTime(f.DetectedAt)
	ev.Status = zenv1.ZenAgentEventStatus{Count: 1, FirstSeen: &seen, LastSeen: &seen, State: zenv1.StateOpen}
	return ev
}

// createEvents creates findings from..to-1 in ns with workers goroutines
// through c, and returns the rate.
func createEvents(ctx context.Context, c client.Client, ns string, from, to, workers int) (float64, error) {
	at := time.Now().Truncate(time.Second)
	start := time.Now()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for w := range workers {
		wg.Go(func() {
			for i := from + w; i < to; i += workers {
				if err := c.Create(ctx, rawEvent(synthetic(ns, i, at))); err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("creating event %d: %w", i, err)
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return float64(to-from) / time.Since(start).Seconds(), first
}

// vulnerabilityReportCRD serves aquasecurity.github.io/v1alpha1
// VulnerabilityReports without a schema: the benchmark only needs the
// resource to exist for the Trivy source to watch it.
func vulnerabilityReportCRD() *apiextensionsv1.CustomResourceDefinition {
	yes := true
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "vulnerabilityreports.aquasecurity.github.io"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "aquasecurity.github.io", Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "vulnerabilityreports", Singular: "vulnerabilityreport",
				Kind: "VulnerabilityReport", ListKind: "VulnerabilityReportList"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1alpha1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", XPreserveUnknownFields: &yes}}}},
		},
	}
}
