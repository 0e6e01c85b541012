package kyverno

import (
	"bytes"
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

// The shared fixtures, by file name.
const (
	cliMerged    = "clusterpolicyreport_cli_merged_docs.yaml"
	namespaces   = "clusterpolicyreport_namespaces_chainsaw.yaml"
	vapList      = "policyreport_list_vap_docs.yaml"
	podPassFail  = "policyreport_pod_pass_fail_docs.yaml"
	warnChainsaw = "policyreport_warn_chainsaw.yaml"
)

var (
	fx       = sourcetest.Fixtures("kyverno")
	allFiles = []string{cliMerged, namespaces, vapList, podPassFail, warnChainsaw}
)

// generatedReport is a namespaced PolicyReport with n results, cycling
// through pass, fail, warn, error and skip, as Kyverno writes them.
func generatedReport(tb testing.TB, n int) *unstructured.Unstructured {
	tb.Helper()
	var b bytes.Buffer
	b.WriteString(`{"apiVersion":"wgpolicyk8s.io/v1alpha2","kind":"PolicyReport",
	"metadata":{"name":"2b0b5d8a","namespace":"shop","uid":"u-1","resourceVersion":"7",
	"annotations":{"note":"x"},"managedFields":[{"manager":"reports-controller","operation":"Apply"}]},
	"scope":{"apiVersion":"apps/v1","kind":"Deployment","name":"web","namespace":"shop","uid":"u-2"},
	"summary":{"pass":1,"fail":1,"warn":1,"error":1,"skip":1},"results":[`)
	outcomes := []string{"pass", "fail", "warn", "error", "skip"}
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"category":"Pod Security Standards (Restricted)","message":"validation error: rule %d failed at path /spec/containers/0/securityContext/",
		"policy":"policy-%d","rule":"rule-%d","result":%q,"scored":true,"severity":"high","source":"kyverno",
		"properties":{"process":"background scan"},"timestamp":{"nanos":0,"seconds":1701868762},
		"resourceSelector":{"matchLabels":{"app":"web"}}}`, i, i/3, i, outcomes[i%len(outcomes)])
	}
	b.WriteString(`]}`)
	return sourcetest.Object(tb, b.String())
}
