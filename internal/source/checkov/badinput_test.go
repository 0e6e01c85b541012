package checkov

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

func TestParseRefusesBadInput(t *testing.T) {
	cases := append(sourcetest.BadJSON(fx.Read(t, multi), sourcetest.Reasons{
		Blank: source.ReasonInvalidJSON, Broken: source.ReasonInvalidJSON, Scalar: source.ReasonUnknownShape,
	}), []sourcetest.Case{
		{Name: "truncated object", In: `{"check_type":"kubernetes","results":{`, Reason: source.ReasonInvalidJSON},
		{Name: "trailing comma", In: `[{"check_type":"kubernetes"},]`, Reason: source.ReasonInvalidJSON},
		{Name: "trailing garbage", In: `{"check_type":"kubernetes"} }`, Reason: source.ReasonInvalidJSON},
		{Name: "cli output", In: "kubernetes scan results:\n\nPassed checks: 1, Failed checks: 3\n", Reason: source.ReasonInvalidJSON},
		{Name: "10000 open objects", In: strings.Repeat(`{"results":`, 10000), Reason: source.ReasonInvalidJSON},
		{Name: "empty object", In: "{}", Reason: source.ReasonUnknownShape},
		{Name: "null results only", In: `{"results":null}`, Reason: source.ReasonUnknownShape},
		{Name: "kube-bench output", In: `{"Controls":[],"Totals":{}}`, Reason: source.ReasonUnknownShape},
		{Name: "array with an empty object", In: `[{"check_type":"kubernetes","results":{}},{}]`, Reason: source.ReasonUnknownShape},
		{Name: "array with null", In: `[null]`, Reason: source.ReasonUnknownShape},
		{Name: "results is a list", In: `{"check_type":"kubernetes","results":[]}`, Reason: source.ReasonWrongType},
		{Name: "failed_checks is an object", In: `{"results":{"failed_checks":{"check_id":"CKV_K8S_1"}}}`, Reason: source.ReasonWrongType},
		{Name: "check is a string", In: `{"results":{"failed_checks":["CKV_K8S_1"]}}`, Reason: source.ReasonWrongType},
		{Name: "check_type is a number", In: `{"check_type":1,"results":{}}`, Reason: source.ReasonWrongType},
		{Name: "check_id is a number", In: `{"results":{"failed_checks":[{"check_id":16}]}}`, Reason: source.ReasonWrongType},
		{Name: "file_line_range is a string", In: `{"results":{"failed_checks":[{"check_id":"A","file_line_range":"1-40"}]}}`, Reason: source.ReasonWrongType},
		{Name: "file_line_range holds strings", In: `{"results":{"failed_checks":[{"check_id":"A","file_line_range":["1","40"]}]}}`, Reason: source.ReasonWrongType},
		{Name: "severity is an object", In: `{"results":{"failed_checks":[{"check_id":"A","severity":{"name":"HIGH"}}]}}`, Reason: source.ReasonWrongType},
		{Name: "element is a number", In: `[1]`, Reason: source.ReasonWrongType},
		{Name: "10000 nested arrays", In: strings.Repeat("[", 10000) + strings.Repeat("]", 10000), Reason: source.ReasonWrongType},
	}...)
	sourcetest.Refuses(t, "checkov", cases, func(in []byte) (bool, error) {
		r, err := Parse(in)
		return r.Checks == nil && r.Skipped == 0, err
	})
}

func TestParseRefusesEveryTruncation(t *testing.T) {
	// A ConfigMap cut short must not resolve the checks it lost.
	for _, name := range []string{single, multi} {
		sourcetest.RefusesTruncations(t, name, fx.Read(t, name), 0, sourcetest.EveryByte, source.ReasonInvalidJSON,
			func(b []byte) error { _, err := Parse(b); return err })
	}
}

// hugeRun is a valid single-framework run with n failed checks.
func hugeRun(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"check_type":"kubernetes","results":{"failed_checks":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"check_id":"CKV_K8S_%d","check_name":"check %d","file_path":"/k8s/app.yaml","file_line_range":[1,40],"resource":"Deployment.ns-%d.app.v%d","severity":null}`, i%200, i, i%50, i)
	}
	b.WriteString(`]},"summary":{"failed":0}}`)
	return b.Bytes()
}

func TestParseHugeValidInput(t *testing.T) {
	const n = 20000
	data := hugeRun(n)
	r, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse of %d bytes: %v", len(data), err)
	}
	fs := Findings(r, sourcetest.Now)
	if len(r.Checks) != n || len(fs) != n {
		t.Fatalf("got %d checks, %d findings; want %d", len(r.Checks), len(fs), n)
	}
	if last := fs[n-1].Resource; last == nil || last.Name != fmt.Sprintf("app.v%d", n-1) {
		t.Errorf("last resource %+v", last)
	}
}
