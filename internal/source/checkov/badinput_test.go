package checkov

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kube-zen/zen-watcher/internal/source"
)

func TestParseRefusesBadInput(t *testing.T) {
	multiData := readFixture(t, multi)
	rng := rand.New(rand.NewPCG(3, 4))
	garbage := make([]byte, 1<<20)
	for i := range garbage {
		garbage[i] = byte(rng.UintN(256))
	}
	cases := []struct {
		name, in string
		reason   string
	}{
		{"empty", "", source.ReasonInvalidJSON},
		{"only space", " \r\n\t", source.ReasonInvalidJSON},
		{"truncated fixture", string(multiData[:len(multiData)/2]), source.ReasonInvalidJSON},
		{"truncated object", `{"check_type":"kubernetes","results":{`, source.ReasonInvalidJSON},
		{"trailing comma", `[{"check_type":"kubernetes"},]`, source.ReasonInvalidJSON},
		{"trailing garbage", `{"check_type":"kubernetes"} }`, source.ReasonInvalidJSON},
		{"cli output", "kubernetes scan results:\n\nPassed checks: 1, Failed checks: 3\n", source.ReasonInvalidJSON},
		{"1 MiB random bytes", string(garbage), source.ReasonInvalidJSON},
		{"1 MiB garbage after a bracket", "[" + string(garbage), source.ReasonInvalidJSON},
		{"10000 open brackets", strings.Repeat("[", 10000), source.ReasonInvalidJSON},
		{"100000 nested arrays", strings.Repeat("[", 100000) + strings.Repeat("]", 100000), source.ReasonInvalidJSON},
		{"10000 open objects", strings.Repeat(`{"results":`, 10000), source.ReasonInvalidJSON},
		{"null", "null", source.ReasonUnknownShape},
		{"string", `"failed_checks"`, source.ReasonUnknownShape},
		{"number", "3", source.ReasonUnknownShape},
		{"boolean", "false", source.ReasonUnknownShape},
		{"empty object", "{}", source.ReasonUnknownShape},
		{"null results only", `{"results":null}`, source.ReasonUnknownShape},
		{"kube-bench output", `{"Controls":[],"Totals":{}}`, source.ReasonUnknownShape},
		{"array with an empty object", `[{"check_type":"kubernetes","results":{}},{}]`, source.ReasonUnknownShape},
		{"array with null", `[null]`, source.ReasonUnknownShape},
		{"1 MiB string", `"` + strings.Repeat("a", 1<<20) + `"`, source.ReasonUnknownShape},
		{"results is a list", `{"check_type":"kubernetes","results":[]}`, source.ReasonWrongType},
		{"failed_checks is an object", `{"results":{"failed_checks":{"check_id":"CKV_K8S_1"}}}`, source.ReasonWrongType},
		{"check is a string", `{"results":{"failed_checks":["CKV_K8S_1"]}}`, source.ReasonWrongType},
		{"check_type is a number", `{"check_type":1,"results":{}}`, source.ReasonWrongType},
		{"check_id is a number", `{"results":{"failed_checks":[{"check_id":16}]}}`, source.ReasonWrongType},
		{"file_line_range is a string", `{"results":{"failed_checks":[{"check_id":"A","file_line_range":"1-40"}]}}`, source.ReasonWrongType},
		{"file_line_range holds strings", `{"results":{"failed_checks":[{"check_id":"A","file_line_range":["1","40"]}]}}`, source.ReasonWrongType},
		{"severity is an object", `{"results":{"failed_checks":[{"check_id":"A","severity":{"name":"HIGH"}}]}}`, source.ReasonWrongType},
		{"element is a number", `[1]`, source.ReasonWrongType},
		{"10000 nested arrays", strings.Repeat("[", 10000) + strings.Repeat("]", 10000), source.ReasonWrongType},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Parse([]byte(c.in))
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", r)
			}
			if got := parseErrorReason(t, err); got != c.reason {
				t.Errorf("reason %q; want %q (%v)", got, c.reason, err)
			}
			if !strings.Contains(err.Error(), "checkov") {
				t.Errorf("error %q does not name the source", err)
			}
			if r.Checks != nil || r.Skipped != 0 {
				t.Errorf("a refused payload returned a report: %+v", r)
			}
		})
	}
}

func TestParseRefusesEveryTruncation(t *testing.T) {
	// Any strict prefix of a document is broken JSON, never a smaller
	// report: a ConfigMap cut short must not resolve the checks it lost.
	for _, name := range []string{single, multi} {
		data := bytes.TrimSpace(readFixture(t, name))
		for n := range len(data) {
			if _, err := Parse(data[:n]); err == nil || parseErrorReason(t, err) != source.ReasonInvalidJSON {
				t.Fatalf("%s cut at %d bytes: err %v; want %s", name, n, err, source.ReasonInvalidJSON)
			}
		}
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
	fs := Findings(r, fixedTime)
	if len(r.Checks) != n || len(fs) != n {
		t.Fatalf("got %d checks, %d findings; want %d", len(r.Checks), len(fs), n)
	}
	if last := fs[n-1].Resource; last == nil || last.Name != fmt.Sprintf("app.v%d", n-1) {
		t.Errorf("last resource %+v", last)
	}
}
