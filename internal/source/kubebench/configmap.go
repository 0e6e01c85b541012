package kubebench

import (
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source/configmap"
)

// NodeAnnotation names the node a results ConfigMap belongs to, when the
// Job that wrote it says so.
const NodeAnnotation = "zen.kube-zen.io/node"

// ConfigMapTool reads kube-bench results from ConfigMaps in namespace that
// match selector; statuses are the result statuses that become findings.
func ConfigMapTool(namespace, selector string, statuses []string) configmap.Tool {
	return configmap.Tool{
		Name: "kube-bench", Namespace: namespace, Selector: selector,
		Parse: func(cm *corev1.ConfigMap, data []byte, now time.Time) ([]finding.Finding, error) {
			r, err := Parse(data)
			if err != nil {
				return nil, err
			}
			return Findings(r, NodeOf(cm), statuses, now), nil
		},
	}
}

// NodeOf is the node a results ConfigMap describes: the annotation
// zen.kube-zen.io/node, else the label kubernetes.io/hostname, else the
// ConfigMap's own name. It is never guessed, so two nodes never collapse
// into one.
func NodeOf(cm *corev1.ConfigMap) string {
	if n := cm.Annotations[NodeAnnotation]; n != "" {
		return n
	}
	if n := cm.Labels[corev1.LabelHostname]; n != "" {
		return n
	}
	return cm.Name
}
