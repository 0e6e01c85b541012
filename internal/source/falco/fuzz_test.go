package falco

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/kube-zen/zen-watcher/internal/finding"
)

func FuzzParse(f *testing.F) {
	var all bytes.Buffer
	for _, name := range allFiles {
		data := readFixture(f, name)
		f.Add(data)
		all.Write(data)
		all.WriteByte('\n')
	}
	f.Add(all.Bytes())
	for _, s := range []string{
		``, ` `, `null`, `{}`, `[]`, `[{}]`, `"x"`, `5`, "{}\n{}", "{}\r\n[1]\r\n\"x\"\r\n{",
		`{"rule":"r","priority":"Error","output_fields":null}`,
		`{"rule":"r","priority":"Info","source":"k8s_audit","output_fields":{"ka.target.name":"n","ka.target.resource":"pods","ka.target.namespace":"<NA>"}}`,
		`{"rule":"r","priority":"warning","output":"13:44:05.1: x","time":"9999-12-31T23:59:59-01:00","output_fields":{"k8s.pod.name":"p","evt.time":1}}`,
		`{"rule":"r","priority":5}` + "\n" + `{"rule":"r\`,
		"{\n \"rule\": \"r\",\n \"priority\": \"Error\"\n}\n{\"rule\":",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, min := range []Priority{PriorityDebug, PriorityWarning} {
			b, err := NewParser(min).Parse(data, fixedTime)
			if err != nil {
				if reason := parseErrorReason(t, err); !knownReasons[reason] {
					t.Fatalf("unknown reason %q: %v", reason, err)
				}
				if b.Items != 0 || b.Findings != nil || b.Dropped != nil || b.Rejected != nil {
					t.Fatalf("a batch with an error: %+v", b)
				}
				continue
			}
			accounted(t, b)
			if b.Items == 0 {
				t.Fatalf("no items and no error")
			}
			for _, r := range b.Rejected {
				if r.Reason == "" || r.Detail == "" || (r.Pointer != "" && r.Pointer[0] != '/') {
					t.Fatalf("rejection %+v", r)
				}
			}
			for _, f := range b.Findings {
				if f.Source != SourceName || f.DedupKey == "" || f.EventType != EventType {
					t.Fatalf("finding without identity: %+v", f)
				}
				if finding.Rank(f.Severity) < 0 {
					t.Fatalf("severity %q off the scale", f.Severity)
				}
				if res := f.Resource; res != nil && (res.Kind == "" || res.Name == "" || res.Name == "<NA>") {
					t.Fatalf("resource with an empty kind or name: %+v", res)
				}
				if y := f.DetectedAt.Year(); y < 1 || y > 9999 {
					t.Fatalf("DetectedAt %v cannot be written", f.DetectedAt)
				}
				if rule, _ := f.Details["rule"].(string); strings.TrimSpace(rule) == "" || !strings.HasPrefix(f.DedupKey, rule) {
					t.Fatalf("key %q does not start with the rule %q", f.DedupKey, rule)
				}
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	data := readFixture(b, shell)
	p := NewParser(PriorityWarning)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if r, err := p.Parse(data, fixedTime); err != nil || len(r.Findings) != 1 {
			b.Fatal(r, err)
		}
	}
}

func BenchmarkParseNDJSON(b *testing.B) {
	const n = 100
	var body bytes.Buffer
	for i := range n {
		body.WriteString(shellAlert(i, fmt.Sprintf("pod-%d", i%10), "c", "sh"))
		body.WriteByte('\n')
	}
	data := body.Bytes()
	p := NewParser(PriorityWarning)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if r, err := p.Parse(data, fixedTime); err != nil || len(r.Findings) != n {
			b.Fatal(len(r.Findings), err)
		}
	}
}

// BenchmarkParseDropped is the cost of an alert below the minimum.
func BenchmarkParseDropped(b *testing.B) {
	data := readFixture(b, attachExec)
	p := NewParser(PriorityWarning)
	b.ReportAllocs()
	for b.Loop() {
		if r, err := p.Parse(data, fixedTime); err != nil || r.Dropped[DropBelowMinPriority] != 1 {
			b.Fatal(r, err)
		}
	}
}
