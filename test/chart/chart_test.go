package chart

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func loadYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func loadJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func TestLintStrict(t *testing.T) {
	for name, args := range map[string][]string{
		"defaults": nil,
		"all-on":   {"-f", filepath.Join(Dir(), "ci", "all-on-values.yaml")},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := Run(t, append([]string{"lint", "--strict", Dir()}, args...)...)
			if err != nil || !strings.Contains(out, "0 chart(s) failed") {
				t.Fatalf("helm lint --strict: %v\n%s", err, out)
			}
		})
	}
}

// The chart installs the CRD with the chart (crds/), and `make generate`
// copies it there from config/crd: the two folders hold the same bytes.
func TestCRDsMatchConfig(t *testing.T) {
	want, _ := filepath.Glob(filepath.Join(Root(), "config", "crd", "*.yaml"))
	got, _ := filepath.Glob(filepath.Join(Dir(), "crds", "*.yaml"))
	if len(want) == 0 || len(want) != len(got) {
		t.Fatalf("config/crd has %d files, the chart's crds/ %d: run make generate", len(want), len(got))
	}
	for _, path := range want {
		a, _ := os.ReadFile(path)
		b, err := os.ReadFile(filepath.Join(Dir(), "crds", filepath.Base(path)))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("crds/%s differs from config/crd (run make generate): %v", filepath.Base(path), err)
		}
	}
}

// A wrong value fails `helm template` (and so `helm install`) with a
// message that names it.
func TestWrongValuesFailClearly(t *testing.T) {
	for _, tc := range []struct {
		set  string
		want string
	}{
		{"replicaCount=0", "replicaCount"},
		{"port=80", "port"},
		{"image.pullPolicy=Sometimes", "pullPolicy"},
		{"config.LOG_LEVEL=verbose", "LOG_LEVEL"},
		{"config.WATCH_INTERVAL=soon", "WATCH_INTERVAL"},
		{"config.WRITE_WORKERS=many", "WRITE_WORKERS"},
		{"config.NO_SUCH_VARIABLE=1", "NO_SUCH_VARIABLE"},
		{"tools.kubeBench.namespace=Kube_Bench", "namespace"},
		{"networkPolicy.ingress.auditWebhookCIDRs={10.0.0.1}", "auditWebhookCIDRs"},
		{"terminationGracePeriodSeconds=20", "must exceed shutdown.timeoutSeconds"},
		{"tls.enabled=true", "tls.existingSecret is required"},
		{"tls.enabled=true,tls.certManager.enabled=true", "issuerRef.name is required"},
		{"serviceAccount.create=false", "serviceAccount.name is required"},
		{"shutdown.timeoutSeconds=0", "timeoutSeconds"},
		{"dynamicSources.watchRules[0].apiGroups[0]=,dynamicSources.watchRules[0].resources[0]=secrets", "watchRules/0/resources/0"},
		{"dynamicSources.watchRules[0].apiGroups[0]=*,dynamicSources.watchRules[0].resources[0]=pods", "watchRules/0/apiGroups/0"},
		{"dynamicSources.watchRules[0].apiGroups[0]=apps", "resources"},
	} {
		t.Run(tc.set, func(t *testing.T) {
			out, err := Run(t, "template", "zen-watcher", Dir(), "--set", tc.set)
			if err == nil {
				t.Fatalf("--set %s rendered without error", tc.set)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("--set %s failed without naming %q:\n%s", tc.set, tc.want, out)
			}
		})
	}
}

func container(d *appsv1.Deployment) corev1.Container { return d.Spec.Template.Spec.Containers[0] }

// The defaults: restricted Pod Security profile, probes, resources,
// downward API, spread, webhook token from a created Secret.
func TestDefaultDeployment(t *testing.T) {
	d := deployment(t)
	pod, c := d.Spec.Template.Spec, container(d)
	sc := c.SecurityContext
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) ||
		sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("container security context is not the restricted profile: %+v", sc)
	}
	if psc := pod.SecurityContext; psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil {
		t.Errorf("pod security context: %+v", psc)
	}
	if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet.Path != "/health" || c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/ready" {
		t.Errorf("probes: liveness %+v readiness %+v", c.LivenessProbe, c.ReadinessProbe)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources: %+v", c.Resources)
	}
	var podNS bool
	for _, e := range c.Env {
		if e.Name == "POD_NAMESPACE" && e.ValueFrom != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace" {
			podNS = true
		}
		if strings.Contains(e.Value, "token") && e.Name != "WEBHOOK_TOKEN_FILE" {
			t.Errorf("%s=%s", e.Name, e.Value)
		}
	}
	if !podNS {
		t.Error("POD_NAMESPACE is not from the downward API")
	}
	if len(pod.TopologySpreadConstraints) == 0 || pod.TopologySpreadConstraints[0].LabelSelector == nil ||
		pod.TopologySpreadConstraints[0].LabelSelector.MatchLabels["app.kubernetes.io/instance"] != "zen-watcher" {
		t.Errorf("topologySpreadConstraints: %+v", pod.TopologySpreadConstraints)
	}
	if pod.TerminationGracePeriodSeconds == nil || *pod.TerminationGracePeriodSeconds <= 25 {
		t.Errorf("terminationGracePeriodSeconds %v does not exceed SHUTDOWN_TIMEOUT", pod.TerminationGracePeriodSeconds)
	}
	if *d.Spec.Replicas != 2 {
		t.Errorf("replicas = %d", *d.Spec.Replicas)
	}
}

func kinds(t *testing.T, args ...string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, u := range Template(t, "zen-watcher", "zen-system", args...) {
		out[u.GetKind()]++
	}
	return out
}

func TestOptionalParts(t *testing.T) {
	def := kinds(t)
	for _, k := range []string{"Deployment", "Service", "ServiceAccount", "NetworkPolicy", "Secret", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"} {
		if def[k] == 0 {
			t.Errorf("defaults render no %s", k)
		}
	}
	if def["PodDisruptionBudget"] != 1 {
		t.Errorf("defaults (two replicas) render %d PodDisruptionBudget", def["PodDisruptionBudget"])
	}
	for _, k := range []string{"ServiceMonitor", "PrometheusRule", "Certificate", "ConfigMap"} {
		if def[k] != 0 {
			t.Errorf("defaults render %d %s; it is off by default", def[k], k)
		}
	}
	if k := kinds(t, "--set", "replicaCount=1"); k["PodDisruptionBudget"] != 0 {
		t.Error("replicaCount=1 renders a PodDisruptionBudget")
	}
	if k := kinds(t, "--set", "networkPolicy.enabled=false"); k["NetworkPolicy"] != 0 {
		t.Error("networkPolicy.enabled=false still renders one")
	}

	all := Template(t, "zen-watcher", "zen-system", "-f", filepath.Join(Dir(), "ci", "all-on-values.yaml"))
	allKinds := map[string]int{}
	for _, u := range all {
		allKinds[u.GetKind()]++
	}
	for _, k := range []string{"PodDisruptionBudget", "ServiceMonitor", "Certificate"} {
		if allKinds[k] != 1 {
			t.Errorf("all-on renders %d %s", allKinds[k], k)
		}
	}
	rules, _ := os.ReadFile(filepath.Join(Dir(), "rules", "zen-watcher.rules.yaml"))
	if want := min(len(rules), 1); allKinds["PrometheusRule"] != want {
		t.Errorf("all-on renders %d PrometheusRule, want %d (rules file of %d bytes)", allKinds["PrometheusRule"], want, len(rules))
	}
	dashboards, _ := filepath.Glob(filepath.Join(Dir(), "dashboards", "*.json"))
	var dashboardMaps int
	for _, u := range Find(all, "ConfigMap") {
		if u.GetLabels()["grafana_dashboard"] == "1" {
			dashboardMaps++
		}
	}
	if dashboardMaps != len(dashboards) {
		t.Errorf("all-on renders %d dashboard ConfigMaps for %d dashboards", dashboardMaps, len(dashboards))
	}
	var created []string
	for _, s := range Find(all, "Secret") {
		created = append(created, s.GetName())
	}
	if want := []string{"zen-watcher-webhook-hmac", "zen-watcher-falco-token", "zen-watcher-falco-hmac", "zen-watcher-audit-hmac"}; !slices.Equal(created, want) {
		t.Errorf("all-on creates the Secrets %v, want %v (the others exist already)", created, want)
	}
}

// A Secret the chart creates appears only in that Secret: not in the
// Deployment, not in annotations.
func TestCreatedSecretAppearsOnlyInItself(t *testing.T) {
	objs := Template(t, "zen-watcher", "zen-system", "--set", "webhook.hmac.create=true")
	var values []string
	for _, s := range Find(objs, "Secret") {
		data, _, _ := unstructured.NestedMap(s.Object, "data")
		for _, v := range data {
			values = append(values, v.(string))
		}
	}
	if len(values) != 2 {
		t.Fatalf("want the token and HMAC Secrets, got %d values", len(values))
	}
	for _, u := range objs {
		if u.GetKind() == "Secret" {
			continue
		}
		b, _ := json.Marshal(u.Object)
		for _, v := range values {
			if bytes.Contains(b, []byte(v)) {
				t.Errorf("%s %s contains a secret value", u.GetKind(), u.GetName())
			}
		}
	}
}
