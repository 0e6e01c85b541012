package kubebench

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kube-zen/zen-watcher/internal/source"
)

func TestParseRefusesBadInput(t *testing.T) {
	full := readFixture(t, fullRun)
	rng := rand.New(rand.NewPCG(1, 2))
	garbage := make([]byte, 1<<20)
	for i := range garbage {
		garbage[i] = byte(rng.UintN(256))
	}
	cases := []struct {
		name, in string
		reason   string
	}{
		{"empty", "", source.ReasonInvalidJSON},
		{"only space", " \n\t ", source.ReasonInvalidJSON},
		{"truncated fixture", string(full[:len(full)/2]), source.ReasonInvalidJSON},
		{"truncated object", `{"Controls":[`, source.ReasonInvalidJSON},
		{"trailing comma", `{"Controls":[],}`, source.ReasonInvalidJSON},
		{"trailing garbage", `{"Controls":[]} x`, source.ReasonInvalidJSON},
		{"two documents", `[] []`, source.ReasonInvalidJSON},
		{"single quotes", `{'Controls':[]}`, source.ReasonInvalidJSON},
		{"yaml", "Controls:\n- id: 1\n", source.ReasonInvalidJSON},
		{"1 MiB random bytes", string(garbage), source.ReasonInvalidJSON},
		{"1 MiB garbage after a brace", "{" + string(garbage), source.ReasonInvalidJSON},
		{"10000 open brackets", strings.Repeat("[", 10000), source.ReasonInvalidJSON},
		{"100000 nested arrays", strings.Repeat("[", 100000) + strings.Repeat("]", 100000), source.ReasonInvalidJSON},
		{"10000 open objects", strings.Repeat(`{"Controls":`, 10000), source.ReasonInvalidJSON},
		{"null", "null", source.ReasonUnknownShape},
		{"string", `"Controls"`, source.ReasonUnknownShape},
		{"number", "42", source.ReasonUnknownShape},
		{"boolean", "true", source.ReasonUnknownShape},
		{"empty object", "{}", source.ReasonUnknownShape},
		{"object without Controls", `{"Totals":{"total_fail":1},"results":[]}`, source.ReasonUnknownShape},
		{"checkov output", `{"check_type":"kubernetes","results":{"failed_checks":[]}}`, source.ReasonUnknownShape},
		{"1 MiB string", `"` + strings.Repeat("a", 1<<20) + `"`, source.ReasonUnknownShape},
		{"Controls is a string", `{"Controls":"x"}`, source.ReasonWrongType},
		{"Controls is an object", `{"Controls":{"id":"1"}}`, source.ReasonWrongType},
		{"control is a number", `[1,2]`, source.ReasonWrongType},
		{"control is an array", `[[]]`, source.ReasonWrongType},
		{"tests is an object", `[{"tests":{"section":"1.1"}}]`, source.ReasonWrongType},
		{"results is a string", `[{"tests":[{"results":"none"}]}]`, source.ReasonWrongType},
		{"scored is a string", `{"Controls":[{"tests":[{"results":[{"test_number":"1.1.1","scored":"yes"}]}]}]}`, source.ReasonWrongType},
		{"test_number is a number", `[{"tests":[{"results":[{"test_number":1.1}]}]}]`, source.ReasonWrongType},
		{"version is a number", `[{"version":1.6,"tests":[]}]`, source.ReasonWrongType},
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
			if !strings.Contains(err.Error(), "kube-bench") {
				t.Errorf("error %q does not name the source", err)
			}
			if r.Results != nil || r.Skipped != 0 {
				t.Errorf("a refused payload returned a report: %+v", r)
			}
		})
	}
}

func TestParseWrongTypeNamesTheField(t *testing.T) {
	_, err := Parse([]byte(`{"Controls":[{"tests":[{"results":[{"test_number":"1.1.1","scored":"yes"}]}]}]}`))
	if err == nil {
		t.Fatal("accepted")
	}
	if msg := err.Error(); !strings.Contains(msg, "scored") || !strings.Contains(msg, "want a boolean") {
		t.Errorf("message %q should name the field and the expected type", msg)
	}
}

func TestParseRefusesEveryTruncation(t *testing.T) {
	// Any strict prefix of a document is broken JSON, never a smaller
	// report: a ConfigMap cut short must not resolve the checks it lost.
	for _, name := range []string{withTotals, fullRun} {
		data := bytes.TrimSpace(readFixture(t, name))
		for n := 0; n < len(data); n += 1 + n/50 {
			if _, err := Parse(data[:n]); err == nil || parseErrorReason(t, err) != source.ReasonInvalidJSON {
				t.Fatalf("%s cut at %d bytes: err %v; want %s", name, n, err, source.ReasonInvalidJSON)
			}
		}
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
	if got := len(Findings(r, "node-a", []string{"FAIL"}, fixedTime)); got != n {
		t.Errorf("got %d findings; want %d", got, n)
	}
}
