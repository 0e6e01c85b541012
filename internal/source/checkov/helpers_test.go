package checkov

import "github.com/kube-zen/zen-watcher/internal/source/sourcetest"

// The shared fixtures, by file name.
const (
	single = "kubernetes_single_framework.json"
	multi  = "multi_framework_list.json"
)

var fx = sourcetest.Fixtures("checkov")
