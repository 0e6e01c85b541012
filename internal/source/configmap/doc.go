// Package configmap feeds the pipeline from tools that leave JSON results in
// labelled ConfigMaps, as kube-bench and Checkov Jobs do. It watches only
// the configured namespace, filtered by label selector on the server, never
// every ConfigMap in the cluster.
package configmap
