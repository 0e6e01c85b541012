package watcher

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kube-zen/zen-watcher/internal/finding"
)

// slowSubmit stands for a pipeline still busy with the last findings when
// shutdown begins.
type slowSubmit struct {
	entered chan struct{}
	done    atomic.Bool
}

func (s *slowSubmit) Submit(context.Context, ...finding.Finding) error {
	close(s.entered)
	time.Sleep(200 * time.Millisecond)
	s.done.Store(true)
	return nil
}

func TestWatcherRunWaitsForItsLastSubmit(t *testing.T) {
	cs := fake.NewClientset(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "n", ResourceVersion: "1"}})
	inf := informers.NewSharedInformerFactory(cs, 0).Core().V1().ConfigMaps().Informer()
	sub := &slowSubmit{entered: make(chan struct{})}
	read := func(any, time.Time) ([]finding.Finding, bool) { return []finding.Finding{f("k")}, true }
	w := New("x", "x/configmaps", inf, read, sub, nil, NewMetrics(prometheus.NewRegistry()), slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	returned := make(chan struct{})
	go func() { w.Run(ctx); close(returned) }()
	<-sub.entered
	cancel()
	<-returned
	if !sub.done.Load() {
		t.Fatal("Run returned while its worker was still submitting: the final flush would miss those findings")
	}
}
