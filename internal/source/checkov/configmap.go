package checkov

import (
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source/configmap"
)

// ConfigMapTool reads Checkov results from ConfigMaps in namespace that
// match selector.
func ConfigMapTool(namespace, selector string) configmap.Tool {
	return configmap.Tool{
		Name: "checkov", Namespace: namespace, Selector: selector,
		Parse: func(_ *corev1.ConfigMap, data []byte, now time.Time) ([]finding.Finding, error) {
			r, err := Parse(data)
			if err != nil {
				return nil, err
			}
			return Findings(r, now), nil
		},
	}
}
