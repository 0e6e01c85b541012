package kubebench

import "github.com/kube-zen/zen-watcher/internal/source/sourcetest"

// The shared fixtures, by file name.
const (
	withTotals = "result_with_totals.json"
	noTotals   = "result_no_totals.json"
	fullRun    = "full_run_cis-1.6_wg-policy-sample.json"
)

var fx = sourcetest.Fixtures("kube-bench")
