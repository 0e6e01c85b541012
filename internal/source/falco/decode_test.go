package falco

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

func TestParseDecodingChoices(t *testing.T) {
	// What the JSON library was told to do, or does by default, seen
	// from Parse. Each alert is the middle line of three, so that a
	// rejection is an item, not the whole body.
	cases := []struct {
		name, in        string
		reason, pointer string
		says            string
		check           func(t *testing.T, details map[string]any)
	}{
		{name: "duplicate member", in: `{"rule":"r","rule":"s","priority":"Error"}`,
			reason: source.ReasonInvalidJSON, says: `member "rule" is given twice`},
		{name: "duplicate field", in: `{"rule":"r","priority":"Error","output_fields":{"a":1,"a":2}}`,
			reason: source.ReasonInvalidJSON, says: `member "a" is given twice, at byte 55 (in /output_fields/a)`},
		{name: "names are exact", in: `{"Rule":"r","rule ":"r","priority":"Error"}`,
			reason: source.ReasonMissingField, pointer: "/rule", says: `no "rule"`},
		{name: "escaped names match", in: `{"r\u0075le":"r","priority":"Error","output_fields":{"k8s.pod.n\u0061me":"p"}}`,
			check: func(t *testing.T, d map[string]any) {
				if d["fields"].(map[string]any)["k8s.pod.name"] != "p" {
					t.Errorf("fields %v", d["fields"])
				}
			}},
		{name: "null tags are absent", in: `{"rule":"r","priority":"Error","tags":[null,"a",null,"b"]}`,
			check: func(t *testing.T, d map[string]any) {
				if !reflect.DeepEqual(d["tags"], []string{"a", "b"}) {
					t.Errorf("tags %#v", d["tags"])
				}
			}},
		{name: "invalid UTF-8 and lone surrogates", in: "{\"rule\":\"r\xff \\ud800\",\"priority\":\"Error\",\"output_fields\":{\"k\xfe\":\"v\\udc00\"}}",
			check: func(t *testing.T, d map[string]any) {
				want := map[string]any{"k\uFFFD": "v\uFFFD"}
				if d["rule"] != "r\uFFFD \uFFFD" || !reflect.DeepEqual(d["fields"], want) {
					t.Errorf("rule %q, fields %q", d["rule"], d["fields"])
				}
			}},
		{name: "numbers are float64", in: `{"rule":"r","priority":"Error","output_fields":{"n":1685022245478445995,"m":[1,2.5]}}`,
			check: func(t *testing.T, d map[string]any) {
				want := map[string]any{"n": float64(1685022245478445995), "m": []any{1.0, 2.5}}
				if !reflect.DeepEqual(d["fields"], want) {
					t.Errorf("fields %#v", d["fields"])
				}
			}},
		{name: "nested field out of range", in: `{"rule":"r","priority":"Error","output_fields":{"a":{"b":[1,-1e999]}}}`,
			reason: source.ReasonWrongType, pointer: "/output_fields/a/b/1", says: `Output field "a" holds the number -1e999`},
		{name: "first wrong type counts", in: `{"rule":"r","output_fields":{"a":1e400},"priority":5}`,
			reason: source.ReasonWrongType, pointer: "/output_fields/a", says: "1e400"},
		{name: "broken after a wrong type", in: `{"priority":5,"rule":tru}`,
			reason: source.ReasonInvalidJSON, says: "in literal true"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			good := shellAlert(0, "p", "c", "sh")
			b, err := NewParser(PriorityDebug).Parse(ndjson(good, c.in, good), sourcetest.Now)
			if err != nil {
				t.Fatal(err)
			}
			sourcetest.Accounted(t, b)
			if c.check != nil {
				if len(b.Findings) != 3 {
					t.Fatalf("findings %d, rejected %+v", len(b.Findings), b.Rejected)
				}
				c.check(t, b.Findings[1].Details)
				return
			}
			if len(b.Findings) != 2 || len(b.Rejected) != 1 {
				t.Fatalf("findings %d, rejected %+v", len(b.Findings), b.Rejected)
			}
			r := b.Rejected[0]
			if r.Index != 1 || r.Reason != c.reason || r.Pointer != c.pointer || !strings.Contains(r.Detail, c.says) {
				t.Errorf("rejection %+v; want reason %s, pointer %q, detail saying %q", r, c.reason, c.pointer, c.says)
			}
		})
	}
}

func TestDroppedAlertsFieldsAreNotDecoded(t *testing.T) {
	// An alert whose priority, read before its output_fields, is below
	// the minimum is dropped without decoding the fields: a number out of
	// range there goes unnoticed. Broken JSON still counts, and fields
	// written before the priority are decoded.
	p := NewParser(PriorityWarning)
	cases := []struct{ in, want string }{
		{`{"rule":"r","priority":"Debug","output_fields":{"a":1e400}}`, DropBelowMinPriority},
		{`{"rule":"r","source":"internal","output_fields":{"a":1e400}}`, DropInternal},
		{`{"rule":"r","priority":"Debug","output_fields":{"a":tru}}`, source.ReasonInvalidJSON},
		{`{"rule":"r","priority":"Debug","output_fields":{"a":1,"a":2}}`, source.ReasonInvalidJSON},
		{`{"rule":"r","output_fields":{"a":1e400},"priority":"Debug"}`, source.ReasonWrongType},
	}
	for _, c := range cases {
		b, err := p.Parse(ndjson(c.in, `{"rule":"r","priority":"Error"}`), sourcetest.Now)
		if err != nil {
			t.Fatal(err)
		}
		sourcetest.Accounted(t, b)
		got := ""
		for reason := range b.Dropped {
			got = reason
		}
		if len(b.Rejected) > 0 {
			got = b.Rejected[0].Reason
		}
		if got != c.want || len(b.Findings) != 1 {
			t.Errorf("%s: %+v; want %s", c.in, b, c.want)
		}
	}
}

func TestReleaseKeepsNothingOfTheBody(t *testing.T) {
	// A pooled scratch must not pin the last body, nor the last alert,
	// which belongs to a finding. (The decoder itself bounds the stacks it
	// keeps after deep input.)
	var s scratch
	big := []byte(`{"rule":"r","priority":"Error","output":"` + strings.Repeat("x", 1<<20) + `","output_fields":{"a":[1]}}`)
	if n, err := s.readAlert(big); err != nil || n != len(big) {
		t.Fatalf("read %d of %d bytes: %v", n, len(big), err)
	}
	s.release()
	if s.in.Cap() != 0 || len(s.dec.UnreadBuffer()) != 0 || s.dec.InputOffset() != 0 {
		t.Errorf("a pooled scratch keeps the body: %d bytes", s.in.Cap())
	}
	if s.a.Output != "" || s.a.OutputFields != nil || s.value != nil || len(s.a.Tags) != 0 {
		t.Errorf("a pooled scratch keeps the last alert")
	}
	if _, err := s.readAlert(fx.Read(t, shell)); err != nil || s.a.Rule == "" {
		t.Errorf("a released scratch does not read again: %v", err)
	}
}
