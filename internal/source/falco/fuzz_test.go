package falco

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

func FuzzParse(f *testing.F) {
	var all bytes.Buffer
	for _, name := range allFiles {
		data := fx.Read(f, name)
		f.Add(data)
		all.Write(data)
		all.WriteByte('\n')
	}
	f.Add(all.Bytes())
	sourcetest.Seed(f,
		``, ` `, `null`, `{}`, `[]`, `[{}]`, `"x"`, `5`, "{}\n{}", "{}\r\n[1]\r\n\"x\"\r\n{",
		`{"rule":"r","priority":"Error","output_fields":null}`,
		`{"rule":"r","priority":"Info","source":"k8s_audit","output_fields":{"ka.target.name":"n","ka.target.resource":"pods","ka.target.namespace":"<NA>"}}`,
		`{"rule":"r","priority":"warning","output":"13:44:05.1: x","time":"9999-12-31T23:59:59-01:00","output_fields":{"k8s.pod.name":"p","evt.time":1}}`,
		`{"rule":"r","priority":5}`+"\n"+`{"rule":"r\`,
		"{\n \"rule\": \"r\",\n \"priority\": \"Error\"\n}\n{\"rule\":")
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, min := range []Priority{PriorityDebug, PriorityWarning} {
			b, err := NewParser(min).Parse(data, sourcetest.Now)
			if err != nil {
				sourcetest.CheckReason(t, err, source.ReasonInvalidJSON, source.ReasonUnknownShape, source.ReasonNoPayload)
				sourcetest.EmptyBatch(t, b)
				continue
			}
			sourcetest.Accounted(t, b)
			if b.Items == 0 {
				t.Fatalf("no items and no error")
			}
			for _, r := range b.Rejected {
				if r.Reason == "" || r.Detail == "" || (r.Pointer != "" && r.Pointer[0] != '/') {
					t.Fatalf("rejection %+v", r)
				}
			}
			for _, f := range b.Findings {
				if err := sourcetest.CheckFinding(f); err != nil {
					t.Fatal(err)
				}
				if f.Source != SourceName || f.EventType != EventType || (f.Resource != nil && f.Resource.Name == "<NA>") {
					t.Fatalf("finding without identity: %+v", f)
				}
				if rule, _ := f.Details["rule"].(string); strings.TrimSpace(rule) == "" || !strings.HasPrefix(f.DedupKey, rule) {
					t.Fatalf("key %q does not start with the rule %q", f.DedupKey, rule)
				}
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	data := fx.Read(b, shell)
	p := NewParser(PriorityWarning)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if r, err := p.Parse(data, sourcetest.Now); err != nil || len(r.Findings) != 1 {
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
		if r, err := p.Parse(data, sourcetest.Now); err != nil || len(r.Findings) != n {
			b.Fatal(len(r.Findings), err)
		}
	}
}

// BenchmarkParseDropped is the cost of an alert below the minimum.
func BenchmarkParseDropped(b *testing.B) {
	data := fx.Read(b, attachExec)
	p := NewParser(PriorityWarning)
	b.ReportAllocs()
	for b.Loop() {
		if r, err := p.Parse(data, sourcetest.Now); err != nil || r.Dropped[DropBelowMinPriority] != 1 {
			b.Fatal(r, err)
		}
	}
}
