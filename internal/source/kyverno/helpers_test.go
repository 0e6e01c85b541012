package kyverno

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/test/fixtures"
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
	fixedTime = time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)
	allFiles  = []string{cliMerged, namespaces, vapList, podPassFail, warnChainsaw}
)

// loadFixture decodes every object of a fixture the way an informer would:
// YAML to JSON, then the unstructured JSON scheme, which gives int64 for
// whole numbers as the API server's decoder does. A kind: List is split
// into its items, as `kubectl get -o yaml` wraps them.
func loadFixture(tb testing.TB, name string) []*unstructured.Unstructured {
	tb.Helper()
	return fixtures.MustDecode(tb, "kyverno/"+name)
}

// fromJSON decodes an object written inline in a test.
func fromJSON(tb testing.TB, s string) *unstructured.Unstructured {
	tb.Helper()
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON([]byte(s)); err != nil {
		tb.Fatalf("decoding %s: %v", s, err)
	}
	return u
}

func parseErrorReason(tb testing.TB, err error) string {
	tb.Helper()
	var pe *source.ParseError
	if !errors.As(err, &pe) {
		tb.Fatalf("error %v (%T) is not a *source.ParseError", err, err)
	}
	return pe.Reason
}

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
	return fromJSON(tb, b.String())
}
