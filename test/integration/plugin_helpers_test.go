package integration

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

// The plugin is built once per package run, into pluginDir, which
// runMain removes.
var (
	pluginOnce sync.Once
	pluginDir  string
	pluginErr  error
)

// pluginPath builds bin/kubectl-zen (once) and returns its path.
func pluginPath(t *testing.T) string {
	t.Helper()
	pluginOnce.Do(func() {
		if pluginDir, pluginErr = os.MkdirTemp("", "kubectl-zen-"); pluginErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(pluginDir, "kubectl-zen"), "./cmd/kubectl-zen")
		cmd.Dir = repoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			pluginErr = errors.New(err.Error() + ": " + string(out))
		}
	})
	if pluginErr != nil {
		t.Fatalf("building kubectl-zen: %v", pluginErr)
	}
	return filepath.Join(pluginDir, "kubectl-zen")
}

func removePlugin() {
	if pluginDir != "" {
		_ = os.RemoveAll(pluginDir)
	}
}

// zenRun is one run of the plugin.
type zenRun struct {
	out, err string
	code     int
}

// zen runs the plugin binary against the shared control plane.
func zen(t *testing.T, stdin string, args ...string) zenRun {
	t.Helper()
	return runCmd(t, exec.Command(pluginPath(t), append([]string{"--kubeconfig", kubeconfig}, args...)...), stdin)
}

// kubectlZen runs the plugin as kubectl does: `kubectl zen …`, with the
// plugin's folder on PATH.
func kubectlZen(t *testing.T, args ...string) zenRun {
	t.Helper()
	dir := filepath.Dir(pluginPath(t))
	cmd := exec.Command(filepath.Join(assetsDir(), "kubectl"), append([]string{"zen", "--kubeconfig", kubeconfig}, args...)...)
	cmd.Env = append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return runCmd(t, cmd, "")
}

func runCmd(t *testing.T, cmd *exec.Cmd, stdin string) zenRun {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Stdin = &out, &errOut, strings.NewReader(stdin)
	cmd.Env = append(cmd.Environ(), "NO_COLOR=1")
	err := cmd.Run()
	r := zenRun{out: out.String(), err: errOut.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running %v: %v", cmd.Args, err)
	}
	return r
}

// mustZen is zen that fails the test unless the plugin exits 0.
func mustZen(t *testing.T, args ...string) string {
	t.Helper()
	r := zen(t, "", args...)
	if r.code != 0 {
		t.Fatalf("kubectl-zen %v: exit %d\n%s%s", args, r.code, r.out, r.err)
	}
	return r.out
}

// seeded describes one event seedEvents makes.
type seeded struct {
	name, source, rule, title string
	severity                  zenv1.Severity
	resource                  *zenv1.ResourceRef
	count                     int64
	ago                       time.Duration
	resolved                  bool
}

// seedEvents creates a namespace and the events in it, with their status,
// as zen-watcher would have stored them.
func seedEvents(t *testing.T, evs []seeded) string {
	t.Helper()
	ctx := context.Background()
	ns := newNamespace(t)
	now := time.Now()
	for _, s := range evs {
		ev := &zenv1.ZenAgentEvent{
			ObjectMeta: metav1.ObjectMeta{Name: s.name, Namespace: ns, Labels: map[string]string{
				zenv1.LabelSource: s.source, zenv1.LabelSeverity: string(s.severity), zenv1.LabelCategory: "security"}},
			Spec: zenv1.ZenAgentEventSpec{Source: s.source, Category: zenv1.CategorySecurity, Severity: s.severity,
				EventType: "test", Rule: s.rule, Title: s.title, DetectedAt: metav1.NewTime(now.Add(-s.ago)),
				Resource: s.resource, DedupKey: s.name},
		}
		if s.source == "trivy" {
			ev.Spec.Details = &apiextensionsv1.JSON{Raw: []byte(`{"vulnerabilityID":"` + s.rule + `"}`)}
		}
		if !strings.ContainsAny(s.rule, "/ ") && s.rule != "" {
			ev.Labels[zenv1.LabelRule] = s.rule
		}
		seen := metav1.NewTime(now.Add(-s.ago).Truncate(time.Second))
		ev.Status = zenv1.ZenAgentEventStatus{Count: s.count, FirstSeen: &seen, LastSeen: &seen, State: zenv1.StateOpen}
		if s.resolved {
			ev.Status.State, ev.Status.ResolvedAt = zenv1.StateResolved, &seen
		}
		if err := k8sClient.Create(ctx, ev); err != nil { // the create carries the status
			t.Fatal(err)
		}
	}
	return ns
}

// fakeDeployment makes what doctor looks for in ns: a Service and a pod
// behind it marked running and ready (envtest has no kubelet, so the
// status is written directly), and a leader Lease.
func fakeDeployment(t *testing.T, ns string) {
	t.Helper()
	ctx := context.Background()
	labels := map[string]string{"app.kubernetes.io/name": "zen-watcher"}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "zen-watcher", Namespace: ns},
		Spec: corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Port: 8080, TargetPort: intstr.FromInt32(8080)}}}}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "zen-watcher-0", Namespace: ns, Labels: labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "zen-watcher", Image: "zen-watcher:test"}}}}
	if err := k8sClient.Create(ctx, svc); err != nil {
		t.Fatal(err)
	}
	if err := k8sClient.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}
	if err := k8sClient.Status().Update(ctx, pod); err != nil {
		t.Fatal(err)
	}
	holder := "zen-watcher-0"
	lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "zen-watcher", Namespace: ns},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: &holder}}
	if err := k8sClient.Create(ctx, lease); err != nil {
		t.Fatal(err)
	}
}

// execPlugin is the plugin command with exactly these arguments.
func execPlugin(t *testing.T, args ...string) *exec.Cmd {
	return exec.Command(pluginPath(t), args...)
}
