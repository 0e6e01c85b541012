package configmap

import (
	"fmt"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/events"

	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/watcher"
)

// Tool says where one tool's ConfigMaps are and how they become findings.
type Tool struct {
	// Name is the source name, e.g. "kube-bench".
	Name string
	// Namespace is the only namespace watched.
	Namespace string
	// Selector is a label selector, applied by the API server.
	Selector string
	// Parse turns one JSON payload of cm into findings.
	Parse func(cm *corev1.ConfigMap, data []byte, now time.Time) ([]finding.Finding, error)
}

// New builds the watcher of one tool's result ConfigMaps; call Run. stored
// is where the watcher rebuilds what it knows from when it starts.
func New(tool Tool, client kubernetes.Interface, submit source.Submitter, stored watcher.StoredFindings, recorder events.EventRecorder, m *watcher.Metrics, log *slog.Logger) *watcher.Watcher {
	inf := coreinformers.NewFilteredConfigMapInformer(client, tool.Namespace, 0, cache.Indexers{}, func(o *metav1.ListOptions) {
		o.LabelSelector = tool.Selector
	})
	_ = inf.SetTransform(func(obj any) (any, error) {
		if cm, ok := obj.(*corev1.ConfigMap); ok {
			cm.ManagedFields = nil // never read; can be large
		}
		return obj, nil
	})
	r := &reader{tool: tool, recorder: recorder, metrics: m, log: log.With("source", tool.Name)}
	log.Info("watching ConfigMaps", "source", tool.Name, "namespace", tool.Namespace, "selector", tool.Selector)
	return watcher.New(tool.Name, tool.Name+"/configmaps/"+tool.Namespace, inf, r.read, submit, stored, m, log.With("source", tool.Name))
}

type reader struct {
	tool     Tool
	recorder events.EventRecorder
	metrics  *watcher.Metrics
	log      *slog.Logger
}

// read parses every JSON payload of the ConfigMap; one unreadable payload
// leaves the others flowing.
func (r *reader) read(obj any, now time.Time) ([]finding.Finding, bool) {
	cm, ok := obj.(*corev1.ConfigMap)
	if !ok {
		return nil, false
	}
	docs, err := payloads(cm)
	if err != nil {
		r.refuse(cm, "", err)
		return nil, false
	}
	var found []finding.Finding
	complete := true
	for _, d := range docs {
		fs, err := r.tool.Parse(cm, d.data, now)
		if err != nil {
			r.refuse(cm, d.key, err)
			complete = false
			continue
		}
		found = append(found, fs...)
	}
	return found, complete
}

// refuse reports an unreadable payload three ways: a Warning Event on the
// ConfigMap for whoever runs the tool, a metric, and a log line. The
// ConfigMap is read again when it changes.
func (r *reader) refuse(cm *corev1.ConfigMap, key string, err error) {
	reason := source.ReasonOf(err)
	where := cm.Namespace + "/" + cm.Name
	if key != "" {
		where += " key " + key
	}
	r.metrics.Errors.WithLabelValues(r.tool.Name, reason).Inc()
	r.log.Warn("unreadable results", "configmap", cm.Namespace+"/"+cm.Name, "key", key, "reason", reason, "error", err.Error())
	r.recorder.Eventf(cm, nil, corev1.EventTypeWarning, "UnreadableResults", "Parse", "%s", truncate(fmt.Sprintf("%s: %v", where, err), 1000))
}

// truncate keeps an event note within the API server's 1 KiB limit.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
