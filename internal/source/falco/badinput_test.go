package falco

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

func TestParseRefusesBodiesWithoutAlerts(t *testing.T) {
	shellData := fx.Read(t, shell)
	garbage := sourcetest.Garbage(3, 1<<20)
	cases := []sourcetest.Case{
		{Name: "empty", In: "", Reason: source.ReasonNoPayload, Says: "empty"},
		{Name: "only space", In: " \r\n\t\n", Reason: source.ReasonNoPayload, Says: "empty"},
		{Name: "array", In: "[" + string(shellData) + "]", Reason: source.ReasonUnknownShape, Says: "one alert object per request"},
		{Name: "empty array", In: "[]", Reason: source.ReasonUnknownShape, Says: "JSON array"},
		{Name: "pretty array", In: "[\n  {\"rule\":\"r\",\"priority\":\"Error\"},\n  {\"rule\":\"s\",\"priority\":\"Error\"}\n]\n", Reason: source.ReasonUnknownShape, Says: "NDJSON"},
		{Name: "broken array", In: "[{", Reason: source.ReasonUnknownShape, Says: "JSON array"},
		{Name: "null", In: "null", Reason: source.ReasonUnknownShape, Says: "null"},
		{Name: "string", In: `"output"`, Reason: source.ReasonUnknownShape, Says: "a string"},
		{Name: "number", In: "5\n", Reason: source.ReasonUnknownShape, Says: "a number"},
		{Name: "boolean", In: "true", Reason: source.ReasonUnknownShape, Says: "a boolean"},
		{Name: "1 MiB string", In: `"` + strings.Repeat("a", 1<<20) + `"`, Reason: source.ReasonUnknownShape, Says: "a string"},
		{Name: "truncated fixture", In: string(shellData[:len(shellData)/2]), Reason: source.ReasonInvalidJSON, Says: "falco"},
		{Name: "truncated object", In: `{"rule":"r",`, Reason: source.ReasonInvalidJSON, Says: "falco"},
		{Name: "missing value", In: `{"rule":"r","priority":}`, Reason: source.ReasonInvalidJSON, Says: "byte"},
		{Name: "trailing comma", In: `{"rule":"r","priority":"Error",}`, Reason: source.ReasonInvalidJSON, Says: "falco"},
		{Name: "single quotes", In: `{'rule':'r'}`, Reason: source.ReasonInvalidJSON, Says: "falco"},
		{Name: "text", In: "Critical A shell was spawned in a container\n", Reason: source.ReasonInvalidJSON, Says: "falco"},
		{Name: "literal cut short", In: "nul", Reason: source.ReasonInvalidJSON, Says: "falco"},
		{Name: "1 MiB random bytes", In: string(garbage), Reason: source.ReasonInvalidJSON, Says: "falco"},
		{Name: "1 MiB garbage after a brace", In: "{" + string(garbage), Reason: source.ReasonInvalidJSON, Says: "falco"},
		{Name: "10000 open objects", In: strings.Repeat(`{"a":`, 10000), Reason: source.ReasonInvalidJSON, Says: "falco"},
		{Name: "20000 nested objects", In: strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000), Reason: source.ReasonInvalidJSON, Says: "depth"},
		{Name: "deep output_fields", In: `{"rule":"r","priority":"Error","output_fields":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "}", Reason: source.ReasonInvalidJSON, Says: "depth"},
		{Name: "pretty and broken", In: "{\n  \"rule\": \"r\",\n  \"priority\": \"Error\",\n  \"output_fields\": {\n    \"a\": tru\n  }\n}\n", Reason: source.ReasonInvalidJSON, Says: "falco"},
		{Name: "pretty and cut", In: "{\n  \"rule\": \"r\",\n  \"priority\": \"Error\",\n  \"output_fields\": {\n    \"a\": \"b\"\n", Reason: source.ReasonInvalidJSON, Says: "falco"},
	}
	sourcetest.Refuses(t, "", cases, func(in []byte) (bool, error) {
		b, err := NewParser(PriorityDebug).Parse(in, sourcetest.Now)
		return b.Items == 0 && b.Findings == nil && b.Dropped == nil && b.Rejected == nil, err
	})
}

func TestParseRejectsBadAlerts(t *testing.T) {
	cases := []struct {
		name, in        string
		reason, pointer string
		says            string
	}{
		{"priority is a number", `{"rule":"r","priority":5}`, source.ReasonWrongType, "/priority", `"priority" is a number; want a string`},
		{"rule is an object", `{"rule":{"name":"r"},"priority":"Error"}`, source.ReasonWrongType, "/rule", `"rule" is an object`},
		{"output_fields is an array", `{"rule":"r","priority":"Error","output_fields":[]}`, source.ReasonWrongType, "/output_fields", "want an object"},
		{"output_fields is a string", `{"rule":"r","priority":"Error","output_fields":"k8s.pod.name=x"}`, source.ReasonWrongType, "/output_fields", "want an object"},
		{"tags is a string", `{"rule":"r","priority":"Error","tags":"shell"}`, source.ReasonWrongType, "/tags", "want an array of strings"},
		{"a tag is a number", `{"rule":"r","priority":"Error","tags":["shell",5]}`, source.ReasonWrongType, "/tags/1", "Tag 1 is a number; want a string"},
		{"time is a number", `{"rule":"r","priority":"Error","time":1685022245}`, source.ReasonWrongType, "/time", "RFC 3339"},
		{"hostname is true", `{"rule":"r","priority":"Error","hostname":true}`, source.ReasonWrongType, "/hostname", "is a boolean"},
		{"field out of range", `{"rule":"r","priority":"Error","output_fields":{"a":1e400}}`, source.ReasonWrongType, "/output_fields/a", "1e400"},
		{"source is a number", `{"rule":"r","priority":"Error","source":1}`, source.ReasonWrongType, "/source", "want a string"},
		{"no rule", `{"priority":"Error","output":"x"}`, source.ReasonMissingField, "/rule", `no "rule"`},
		{"empty rule", `{"rule":"","priority":"Error"}`, source.ReasonMissingField, "/rule", `no "rule"`},
		{"blank rule", `{"rule":"  ","priority":"Error"}`, source.ReasonMissingField, "/rule", `no "rule"`},
		{"null rule", `{"rule":null,"priority":"Error"}`, source.ReasonMissingField, "/rule", `no "rule"`},
		{"no priority", `{"rule":"r"}`, source.ReasonMissingField, "/priority", `no "priority"`},
		{"null priority", `{"rule":"r","priority":null}`, source.ReasonMissingField, "/priority", `no "priority"`},
		{"empty object", `{}`, source.ReasonMissingField, "/rule", `no "rule"`},
		{"unknown priority", `{"rule":"r","priority":"Loud"}`, source.ReasonUnknownValue, "/priority", `"Loud" is not a Falco priority`},
		{"huge unknown priority", `{"rule":"r","priority":"` + strings.Repeat("x", 1<<16) + `"}`, source.ReasonUnknownValue, "/priority", "…"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := NewParser(PriorityDebug).Parse([]byte(c.in), sourcetest.Now)
			if err != nil {
				t.Fatalf("one well-formed object is a batch, not an error: %v", err)
			}
			sourcetest.Accounted(t, b)
			if b.Items != 1 || len(b.Rejected) != 1 {
				t.Fatalf("items %d, rejected %+v", b.Items, b.Rejected)
			}
			r := b.Rejected[0]
			if r.Index != 0 || r.Reason != c.reason || r.Pointer != c.pointer || !strings.Contains(r.Detail, c.says) {
				t.Errorf("rejection %+v; want reason %s, pointer %s, detail saying %q", r, c.reason, c.pointer, c.says)
			}
			if len(r.Detail) > 300 {
				t.Errorf("detail of %d bytes", len(r.Detail))
			}
		})
	}
}

func TestParseAcceptsOddButValidAlerts(t *testing.T) {
	cases := []struct{ name, in string }{
		{"null output_fields", `{"rule":"r","priority":"Error","output_fields":null}`},
		{"null tags", `{"rule":"r","priority":"Error","tags":null}`},
		{"null everything else", `{"rule":"r","priority":"Error","output":null,"time":null,"source":null,"hostname":null,"uuid":null}`},
		{"unknown keys", `{"rule":"r","priority":"Error","extra":{"deep":[1,2,{"x":null}]},"outputFields":5}`},
		{"unparsable time", `{"rule":"r","priority":"Error","time":"yesterday"}`},
		{"lower-case priority", `{"rule":"r","priority":"error"}`},
		{"Info", `{"rule":"r","priority":"Info"}`},
		{"only <NA> fields", `{"rule":"r","priority":"Error","output_fields":{"k8s.pod.name":"<NA>","evt.time":1}}`},
		{"unicode", `{"rule":"r\u00e9gle \ud83d\ude00","priority":"Error","output_fields":{"k8s.pod.name":"p\u00f8d"}}`},
		{"invalid UTF-8", "{\"rule\":\"r\xff\",\"priority\":\"Error\"}"},
		{"BOM-free CRLF", "{\"rule\":\"r\",\"priority\":\"Error\"}\r\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := NewParser(PriorityDebug).Parse([]byte(c.in), sourcetest.Now)
			if err != nil {
				t.Fatal(err)
			}
			sourcetest.Accounted(t, b)
			if len(b.Findings) != 1 {
				t.Fatalf("%+v", b)
			}
			f := b.Findings[0]
			if f.Resource != nil {
				if strings.Contains(f.Resource.Name, "NA") || f.Resource.Name == "null" {
					t.Errorf("resource from an absent value: %+v", f.Resource)
				}
			}
			if strings.Contains(f.DedupKey, "<NA>") || strings.Contains(f.DedupKey, "null") {
				t.Errorf("key from an absent value: %q", f.DedupKey)
			}
		})
	}
}

func TestNDJSONKeepsGoodLinesAroundBadOnes(t *testing.T) {
	good := func(i int) string { return shellAlert(i, fmt.Sprintf("pod-%d", i), "c", "sh") }
	cases := []struct {
		name    string
		bad     string
		reason  string
		pointer string
	}{
		{"truncated line", good(9)[:120], source.ReasonInvalidJSON, ""},
		{"cut inside a string", `{"rule":"r","priority":"Err`, source.ReasonInvalidJSON, ""},
		{"cut after a backslash", `{"rule":"r\`, source.ReasonInvalidJSON, ""},
		{"missing value", `{"rule":"r","priority":}`, source.ReasonInvalidJSON, ""},
		{"extra brace", `{"rule":"r","priority":"Error"}}`, source.ReasonInvalidJSON, ""},
		{"text", `Critical A shell was spawned`, source.ReasonInvalidJSON, ""},
		{"lower-case text", `oops`, source.ReasonInvalidJSON, ""},
		{"a number", `42`, source.ReasonUnknownShape, ""},
		{"null", `null`, source.ReasonUnknownShape, ""},
		{"an array", `[1,2]`, source.ReasonUnknownShape, ""},
		{"wrong type", `{"rule":"r","priority":5}`, source.ReasonWrongType, "/priority"},
		{"no rule", `{"priority":"Error"}`, source.ReasonMissingField, "/rule"},
		{"unknown priority", `{"rule":"r","priority":"Loud"}`, source.ReasonUnknownValue, "/priority"},
	}
	for _, c := range cases {
		for _, badAt := range []int{0, 2, 4} {
			t.Run(fmt.Sprintf("%s at %d", c.name, badAt), func(t *testing.T) {
				var lines []string
				for i := range 5 {
					if i == badAt {
						lines = append(lines, c.bad)
						continue
					}
					lines = append(lines, good(i))
				}
				b, err := NewParser(PriorityDebug).Parse(ndjson(lines...), sourcetest.Now)
				if err != nil {
					t.Fatal(err)
				}
				sourcetest.Accounted(t, b)
				findings := 4
				if c.name == "extra brace" {
					findings = 5
				}
				if len(b.Findings) != findings {
					t.Fatalf("%d findings; want the 4 good lines: %+v", len(b.Findings), b.Rejected)
				}
				// "extra brace" is an alert and a stray "}": the alert
				// is kept, the brace rejected.
				items, rejected := 5, 1
				if c.name == "extra brace" {
					items, rejected = 6, 1
				}
				if b.Items != items || len(b.Rejected) != rejected {
					t.Fatalf("items %d, rejected %+v", b.Items, b.Rejected)
				}
				r := b.Rejected[0]
				wantIndex := badAt
				if c.name == "extra brace" {
					wantIndex = badAt + 1
					if b.Findings[badAt].Details["rule"] != "r" {
						t.Errorf("the alert before the stray brace was lost")
					}
				}
				if r.Index != wantIndex || r.Reason != c.reason || r.Pointer != c.pointer || r.Detail == "" {
					t.Errorf("rejection %+v; want index %d, reason %s, pointer %q", r, wantIndex, c.reason, c.pointer)
				}
				for i, f := range b.Findings {
					if f.Details["rule"] == "r" {
						continue
					}
					if f.Resource == nil || !strings.HasPrefix(f.Resource.Name, "pod-") {
						t.Errorf("finding %d: %+v", i, f.Resource)
					}
				}
			})
		}
	}
}

func TestNDJSONBrokenPrettyObjectIsOneItem(t *testing.T) {
	// A broken pretty-printed object between good lines is one rejected
	// item, not one per line of it.
	body := ndjson(
		shellAlert(0, "a", "c", "sh"),
		"{\n  \"rule\": \"r\",\n  \"priority\": tru,\n  \"output_fields\": {\n    \"a\": 1\n  }\n}",
		shellAlert(1, "b", "c", "sh"),
	)
	b, err := NewParser(PriorityDebug).Parse(body, sourcetest.Now)
	if err != nil {
		t.Fatal(err)
	}
	sourcetest.Accounted(t, b)
	if b.Items != 3 || len(b.Findings) != 2 || len(b.Rejected) != 1 || b.Rejected[0].Index != 1 {
		t.Fatalf("items %d, findings %d, rejected %+v", b.Items, len(b.Findings), b.Rejected)
	}
}

func TestNDJSONBlankLinesAndConcatenation(t *testing.T) {
	a, c := shellAlert(0, "a", "c", "sh"), shellAlert(1, "b", "c", "sh")
	for name, body := range map[string]string{
		"blank lines":          "\n\n" + a + "\n\n\n" + c + "\n\n",
		"CRLF":                 a + "\r\n" + c + "\r\n",
		"CRLF and blank lines": "\r\n" + a + "\r\n\r\n" + c,
		"no final newline":     a + "\n" + c,
		"same line":            a + c,
		"space between":        a + " \t " + c,
		"indented":             "  " + a + "\n  " + c,
	} {
		t.Run(name, func(t *testing.T) {
			b, err := NewParser(PriorityDebug).Parse([]byte(body), sourcetest.Now)
			if err != nil {
				t.Fatal(err)
			}
			sourcetest.Accounted(t, b)
			if b.Items != 2 || len(b.Findings) != 2 {
				t.Fatalf("items %d, findings %d, rejected %+v", b.Items, len(b.Findings), b.Rejected)
			}
		})
	}
}

func TestBodyOfOnlyNonObjectsIsRefused(t *testing.T) {
	cases := []struct{ in, reason, says string }{
		{"42\noops\n", source.ReasonUnknownShape, "none of the 2 values"},
		// After text, reading resumes at the next line that starts an
		// object, so this is one value.
		{"oops\n42\n", source.ReasonInvalidJSON, "at byte 1"},
		{"42\nnull\n", source.ReasonUnknownShape, "none of the 2 values"},
		{"[1]\n[2]", source.ReasonUnknownShape, "none of the 2 values"},
		{"5 6", source.ReasonUnknownShape, "none of the 2 values"},
		{"{\"rule\":\n{\"rule\":", source.ReasonInvalidJSON, "none of the 2 values"},
	}
	for _, c := range cases {
		b, err := NewParser(PriorityDebug).Parse([]byte(c.in), sourcetest.Now)
		if err == nil {
			t.Errorf("%q accepted: %+v", c.in, b)
			continue
		}
		if r := sourcetest.Reason(t, err); r != c.reason || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%q: %v; want %s saying %q", c.in, err, c.reason, c.says)
		}
	}
	// One object among them makes it a batch, even one that is rejected.
	b, err := NewParser(PriorityDebug).Parse([]byte("oops\n{\"rule\":\"r\"}\n"), sourcetest.Now)
	if err != nil {
		t.Fatal(err)
	}
	sourcetest.Accounted(t, b)
	if b.Items != 2 || len(b.Rejected) != 2 || b.Rejected[1].Reason != source.ReasonMissingField {
		t.Fatalf("%+v", b)
	}
}

func TestParseHugeNDJSON(t *testing.T) {
	const n = 10000
	var body bytes.Buffer
	for i := range n {
		body.WriteString(shellAlert(i, fmt.Sprintf("pod-%d", i), "c", "sh"))
		body.WriteByte('\n')
		if i%1000 == 999 {
			body.WriteString("{\"rule\":\n")
		}
	}
	b, err := NewParser(PriorityDebug).Parse(body.Bytes(), sourcetest.Now)
	if err != nil {
		t.Fatal(err)
	}
	sourcetest.Accounted(t, b)
	if len(b.Findings) != n || len(b.Rejected) != n/1000 || b.Items != n+n/1000 {
		t.Fatalf("items %d, findings %d, rejected %d", b.Items, len(b.Findings), len(b.Rejected))
	}
	if last := b.Findings[n-1].Resource; last == nil || last.Name != fmt.Sprintf("pod-%d", n-1) {
		t.Errorf("last resource %+v", last)
	}
}

func TestParseEveryTruncation(t *testing.T) {
	// A strict prefix of one alert is never a smaller alert.
	for _, name := range allFiles {
		sourcetest.RefusesTruncations(t, name, fx.Read(t, name), 1, sourcetest.EveryByte, source.ReasonInvalidJSON,
			func(b []byte) error { _, err := NewParser(PriorityDebug).Parse(b, sourcetest.Now); return err })
	}
}

func TestParseDoesNotShareState(t *testing.T) {
	// Each finding owns its details: editing one leaves the next parse of
	// the same bytes untouched.
	p := NewParser(PriorityDebug)
	data := fx.Read(t, shell)
	b1, _ := p.Parse(data, sourcetest.Now)
	b1.Findings[0].Details["fields"].(map[string]any)["k8s.pod.name"] = "edited"
	b1.Findings[0].Details["tags"].([]string)[0] = "edited"
	b2, _ := p.Parse(data, sourcetest.Now)
	if b2.Findings[0].Details["fields"].(map[string]any)["k8s.pod.name"] != "kubecon" || b2.Findings[0].Details["tags"].([]string)[0] != "container" {
		t.Fatal("parses share state")
	}
	// The pooled decoder's scratch is reused: what one parse returned must
	// not change with the next.
	kept := fmt.Sprintf("%+v", b2)
	for i := range 10 {
		if _, err := p.Parse([]byte(shellAlert(i, strings.Repeat("p", 100), "other", "bash")), sourcetest.Now); err != nil {
			t.Fatal(err)
		}
	}
	if now := fmt.Sprintf("%+v", b2); now != kept {
		t.Fatalf("a later parse changed an earlier batch:\n%s\n%s", kept, now)
	}
}

func TestHostileBodiesAreReadInLinearTime(t *testing.T) {
	// Each body is 1 MiB (FALCO_MAX_BODY_BYTES by default) of short lines that each leave a value open. Read
	// naively, every line would run on to the end of the body: hours of
	// work, which the test timeout would catch. Read as stream does,
	// milliseconds.
	const size = 1 << 20
	cases := []struct {
		name, line string
		err        bool
	}{
		{"open arrays", "{\"a\":[\n", true},
		{"open objects", "{\"a\":{\"b\":\n", true},
		{"open braces", "{\n", true},
		{"open arrays after an alert", "{\"rule\":\"r\",\"priority\":\"Error\"}\n{\"a\":[\n", false},
		{"array after an alert", "{\"a\":1}[\n", false},
		{"object after an alert", "{}{\"a\":[\n", false},
		{"open brackets", "[\n", true},
		{"indented open arrays", " {\"a\":[\n", true},
		{"number then open array", "1{\"a\":[\n", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := bytes.Repeat([]byte(c.line), size/len(c.line))
			b, err := NewParser(PriorityDebug).Parse(body, sourcetest.Now)
			if (err != nil) != c.err {
				t.Fatalf("error %v; want one: %v", err, c.err)
			}
			if err == nil {
				sourcetest.Accounted(t, b)
				if n := len(b.Rejected); n > maxExplained && b.Rejected[n-1].Detail != unexplained {
					t.Errorf("rejection %d explained: %q", n-1, b.Rejected[n-1].Detail)
				}
			}
		})
	}
}
