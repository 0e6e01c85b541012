package audit

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

// fuzzRules exercises the CEL path alongside the built-in one.
const fuzzRules = `
rules:
- name: anything-in-kube-system
  expression: 'has(event.objectRef) && has(event.objectRef.namespace) && event.objectRef.namespace == "kube-system"'
  eventType: kube-system-change
  severity: LOW
- name: unguarded
  expression: 'event.user.username.startsWith("mallory") || event.responseStatus.code > 499'
  eventType: suspicious
  severity: CRITICAL
`

func FuzzParse(f *testing.F) {
	fixtures.SeedFiles(f, append([]string{fxList}, singleEvents...)...)
	for _, c := range ruleCases[:20] {
		f.Add(list(mustJSON(f, eventWith(c.over))))
	}
	sourcetest.Seed(f,
		``, `[]`, `null`, `{}`, `{"kind":"EventList","items":[1,"x",null,{},[]]}`, `{"kind":"EventList","items":{}}`,
		`{"auditID":"a","stage":"ResponseComplete","verb":"get","responseStatus":{"code":1e3}}`,
		`{"kind":"Event","auditID":"a","stage":"Panic","verb":"delete","objectRef":{"resource":"s","name":"n"}}`,
		`{"kind":"EventList","items":[{"auditID":"a","stage":"ResponseComplete","verb":"create","objectRef":{"resource":"pods","name":"p"},"requestObject":{"spec":{"hostPID":"yes"}}}]}`,
		`{"items":[],"kind":"EventList","items":[]}`, `{"kind":"EventList","apiVersion":"v1"}`)
	rules, err := LoadRules(DefaultTrustedUsers, []byte(fuzzRules))
	if err != nil {
		f.Fatal(err)
	}
	parsers := []*Parser{NewParser(nil), NewParser(rules)}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range parsers {
			b, err := p.Parse(data, sourcetest.Now)
			if err != nil {
				switch reason := source.ReasonOf(err); reason {
				case source.ReasonNoPayload, source.ReasonUnknownShape, source.ReasonWrongType:
				case source.ReasonInvalidJSON:
					if json.Valid(data) {
						t.Fatalf("valid JSON refused as invalid: %v", err)
					}
				default:
					t.Fatalf("unexpected reason %q: %v", reason, err)
				}
				sourcetest.EmptyBatch(t, b)
				continue
			}
			if !json.Valid(data) {
				t.Fatalf("invalid JSON accepted: %+v", b)
			}
			sourcetest.Accounted(t, b)
			for _, f := range b.Findings {
				if err := sourcetest.CheckFinding(f); err != nil {
					t.Fatal(err)
				}
				if f.Source != SourceName || !f.SingleOccurrence || checkLabel("eventType", f.EventType) != nil {
					t.Fatalf("bad finding %+v", f)
				}
				if _, err := json.Marshal(f.Details); err != nil {
					t.Fatalf("details do not encode: %v", err)
				}
			}
			for _, r := range b.Rejected {
				if r.Index < 0 || r.Index >= b.Items || r.Detail == "" || (r.Pointer != "" && !strings.HasPrefix(r.Pointer, "/")) {
					t.Fatalf("bad rejection %+v of %d items", r, b.Items)
				}
				switch r.Reason {
				case source.ReasonWrongType, source.ReasonMissingField, source.ReasonUnknownValue, source.ReasonInvalidJSON:
				default:
					t.Fatalf("rejection reason %q", r.Reason)
				}
			}
		}
	})
}

func FuzzLoadRules(f *testing.F) {
	f.Add([]byte(exampleRules))
	f.Add([]byte(fuzzRules))
	for _, s := range []string{
		"", "rules: []", "disable: [secret-read]", "rules:\n- {}\n", "rules: {}", "- a\n", "rules: [\n", "rules:\n- name: a\n  expression: '1'\n",
		"rules:\n- name: a\n  expression: 'event.verb == \"get\"'\n  eventType: b\n  severity: info\n",
		"rules:\n- name: a\n  expression: '[1,2].all(x, [1,2].all(y, x != y))'\n  eventType: b\n  severity: LOW\n",
	} {
		f.Add([]byte(s))
	}
	body := fixtures.Read(f, fxList)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := LoadRules(nil, data)
		if err != nil {
			if r != nil {
				t.Fatal("rules with an error")
			}
			return
		}
		seen := map[string]bool{}
		for _, ru := range r.List() {
			if seen[ru.Name] || checkLabel("name", ru.Name) != nil || checkLabel("eventType", ru.EventType) != nil || finding.Rank(ru.Severity) < 0 {
				t.Fatalf("bad rule %+v", ru)
			}
			seen[ru.Name] = true
		}
		b, err := NewParser(r).Parse(body, sourcetest.Now)
		if err != nil || b.Items != 5 {
			t.Fatalf("the fixture no longer parses: %+v, %v", b, err)
		}
	})
}
