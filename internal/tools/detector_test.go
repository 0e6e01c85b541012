package tools

import (
	"context"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
)

var reportsGVR = schema.GroupVersionResource{Group: "aquasecurity.github.io", Version: "v1alpha1", Resource: "vulnerabilityreports"}

func runningPod(ns string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "p-" + ns}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
}

func TestDetectorStates(t *testing.T) {
	cases := []struct {
		name   string
		pods   bool
		served bool
		crds   bool
		want   string
		active bool
	}{
		{"pods and CRDs", true, true, true, StateActive, true},
		{"CRDs without pods", false, true, true, StateReportsOnly, false},
		{"pods without CRDs", true, false, true, StateNoCRDs, false},
		{"nothing", false, false, true, StateAbsent, false},
		{"a tool without CRDs, running", true, false, false, StateActive, true},
		{"a tool without CRDs, absent", false, false, false, StateAbsent, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			client := fake.NewClientset()
			if c.pods {
				_, _ = client.CoreV1().Pods("tool-ns").Create(context.Background(), runningPod("tool-ns"), metav1.CreateOptions{})
			}
			tool := Tool{Name: "trivy", Namespace: "tool-ns"}
			if c.crds {
				tool.CRDs = []schema.GroupVersionResource{reportsGVR}
			}
			reg := prometheus.NewRegistry()
			d := New([]Tool{tool}, client, func(schema.GroupVersionResource) bool { return c.served }, reg, slog.New(slog.DiscardHandler))
			d.record(d.check(context.Background(), tool))
			st := d.Statuses()[0]
			if st.State != c.want || st.Active != c.active || st.Reason == "" {
				t.Errorf("got %+v, want state %s active %v", st, c.want, c.active)
			}
			want := 0.0
			if c.active {
				want = 1
			}
			if got := testutil.ToFloat64(d.active.WithLabelValues("trivy")); got != want {
				t.Errorf("zen_watcher_tools_active = %v, want %v", got, want)
			}
		})
	}
}
