package kubebench

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

func TestParseRefusesBadInput(t *testing.T) {
	cases := append(sourcetest.BadJSON(fx.Read(t, fullRun), sourcetest.Reasons{
		Blank: source.ReasonInvalidJSON, Broken: source.ReasonInvalidJSON, Scalar: source.ReasonUnknownShape,
	}), []sourcetest.Case{
		{Name: "truncated object", In: `{"Controls":[`, Reason: source.ReasonInvalidJSON},
		{Name: "trailing comma", In: `{"Controls":[],}`, Reason: source.ReasonInvalidJSON},
		{Name: "trailing garbage", In: `{"Controls":[]} x`, Reason: source.ReasonInvalidJSON},
		{Name: "two documents", In: `[] []`, Reason: source.ReasonInvalidJSON},
		{Name: "yaml", In: "Controls:\n- id: 1\n", Reason: source.ReasonInvalidJSON},
		{Name: "10000 open objects", In: strings.Repeat(`{"Controls":`, 10000), Reason: source.ReasonInvalidJSON},
		{Name: "empty object", In: "{}", Reason: source.ReasonUnknownShape},
		{Name: "object without Controls", In: `{"Totals":{"total_fail":1},"results":[]}`, Reason: source.ReasonUnknownShape},
		{Name: "checkov output", In: `{"check_type":"kubernetes","results":{"failed_checks":[]}}`, Reason: source.ReasonUnknownShape},
		{Name: "Controls is a string", In: `{"Controls":"x"}`, Reason: source.ReasonWrongType},
		{Name: "Controls is an object", In: `{"Controls":{"id":"1"}}`, Reason: source.ReasonWrongType},
		{Name: "control is a number", In: `[1,2]`, Reason: source.ReasonWrongType},
		{Name: "control is an array", In: `[[]]`, Reason: source.ReasonWrongType},
		{Name: "tests is an object", In: `[{"tests":{"section":"1.1"}}]`, Reason: source.ReasonWrongType},
		{Name: "results is a string", In: `[{"tests":[{"results":"none"}]}]`, Reason: source.ReasonWrongType},
		{Name: "scored is a string", In: `{"Controls":[{"tests":[{"results":[{"test_number":"1.1.1","scored":"yes"}]}]}]}`, Reason: source.ReasonWrongType,
			Says: "scored at byte 72 is a JSON string, want a boolean"},
		{Name: "test_number is a number", In: `[{"tests":[{"results":[{"test_number":1.1}]}]}]`, Reason: source.ReasonWrongType},
		{Name: "version is a number", In: `[{"version":1.6,"tests":[]}]`, Reason: source.ReasonWrongType},
		{Name: "10000 nested arrays", In: strings.Repeat("[", 10000) + strings.Repeat("]", 10000), Reason: source.ReasonWrongType},
	}...)
	sourcetest.Refuses(t, "kube-bench", cases, func(in []byte) (bool, error) {
		r, err := Parse(in)
		return r.Results == nil && r.Skipped == 0, err
	})
}

func TestParseRefusesEveryTruncation(t *testing.T) {
	// A ConfigMap cut short must not resolve the checks it lost.
	for _, name := range []string{withTotals, fullRun} {
		sourcetest.RefusesTruncations(t, name, fx.Read(t, name), 0, func(n int) int { return 1 + n/50 }, source.ReasonInvalidJSON,
			func(b []byte) error { _, err := Parse(b); return err })
	}
}

// hugeRun is a valid bare-array run with n FAIL results in one section.
func hugeRun(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`[{"version":"cis-1.8","node_type":"node","tests":[{"section":"4.1","results":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"test_number":"4.1.%d","test_desc":"check %d","status":"FAIL","scored":true,"remediation":"fix it"}`, i, i)
	}
	b.WriteString(`]}]}]`)
	return b.Bytes()
}

func TestParseHugeValidInput(t *testing.T) {
	const n = 20000
	data := hugeRun(n)
	r, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse of %d bytes: %v", len(data), err)
	}
	if len(r.Results) != n {
		t.Fatalf("got %d results; want %d", len(r.Results), n)
	}
	if got := len(Findings(r, "node-a", []string{"FAIL"}, sourcetest.Now)); got != n {
		t.Errorf("got %d findings; want %d", got, n)
	}
}
