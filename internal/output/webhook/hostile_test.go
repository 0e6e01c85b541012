package webhook

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/output"
)

// hostile fills a finding's free text with what a tool, or an attacker
// writing into a tool's output, could put there.
func hostile(title, rule string, details []byte) *zenv1.ZenAgentEvent {
	ev := finding("hostile", zenv1.SeverityCritical)
	ev.Spec.Title, ev.Spec.Rule = title, rule
	ev.Spec.Resource.Name = title
	if details != nil {
		ev.Spec.Details = &apiextensionsv1.JSON{Raw: details}
	}
	return ev
}

func TestHostileFindingsStayValidCloudEvents(t *testing.T) {
	rc, srv := newReceiver(t)
	n := newNotifier(t, srv.URL, func(c *Config) { c.Batch = true })
	huge := strings.Repeat("A", 1<<20)
	cases := []*zenv1.ZenAgentEvent{
		hostile("\x00\x1b[2J\u202e<script>alert(1)</script>", `"},"source":"evil","x":{"`, []byte(`{"a":"\u0000"}`)),
		hostile("bad utf-8 \xff\xfe", "r\xc3", []byte(`{"nested":{"deep":[[[[[[[[[[1]]]]]]]]]]}}`)),
		hostile(huge, huge, nil),
		hostile("details not JSON", "r", []byte(`{"unterminated":`)),
	}
	var batch []output.Delivery
	for _, ev := range cases {
		batch = append(batch, output.Delivery{Event: ev, Trigger: output.TriggerCreated})
	}
	retry, err := n.Notify(context.Background(), batch)
	// Details that are not JSON cannot be encoded: refused, not retried,
	// and nothing before it lost (it is reported with its name).
	if err == nil || retry || !strings.Contains(err.Error(), "prod/hostile") {
		t.Fatalf("undecodable details: got %v %v", retry, err)
	}
	retry, err = n.Notify(context.Background(), batch[:3])
	if err != nil {
		t.Fatalf("hostile text refused: %v %v", retry, err)
	}
	if len(rc.events) != 3 {
		t.Fatalf("got %d events", len(rc.events))
	}
	for i, e := range rc.events {
		if e.Source() != "cluster-a" || e.Type() != TypeCreated {
			t.Errorf("event %d: finding text changed the envelope: %s / %s", i, e.Source(), e.Type())
		}
		var data zenv1.ZenAgentEvent
		if err := e.DataAs(&data); err != nil {
			t.Fatal(err)
		}
		if !utf8.ValidString(data.Spec.Title) || !utf8.ValidString(data.Spec.Rule) {
			t.Errorf("event %d carries invalid UTF-8", i)
		}
	}
	var d zenv1.ZenAgentEvent
	_ = rc.events[0].DataAs(&d)
	if d.Spec.Title != cases[0].Spec.Title || d.Spec.Rule != cases[0].Spec.Rule {
		t.Errorf("control characters and markup must arrive as sent: %q", d.Spec.Title)
	}
}

// FuzzEvent: any finding text encodes to a CloudEvent that decodes again
// with the same envelope and, for valid UTF-8, the same text.
func FuzzEvent(f *testing.F) {
	f.Add("title", "CVE-1", "prod", `{"k":"v"}`)
	f.Add("\x00\xff<>&*_~`", "\"}", "", `null`)
	f.Add(strings.Repeat("é", 300), "r", "ns", `[]`)
	f.Fuzz(func(t *testing.T, title, rule, ns, details string) {
		ev := hostile(title, rule, nil)
		ev.Namespace = ns
		if json.Valid([]byte(details)) {
			ev.Spec.Details = &apiextensionsv1.JSON{Raw: []byte(details)}
		}
		e, err := Event("cluster-a", output.Delivery{Event: ev, Trigger: output.TriggerEscalated})
		if err != nil {
			t.Fatalf("event: %v", err)
		}
		raw, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var back cloudevents.Event
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatalf("unmarshal: %v\n%s", err, raw)
		}
		if back.ID() != e.ID() || back.Source() != "cluster-a" || back.Type() != TypeEscalated {
			t.Fatalf("envelope changed: %s", back)
		}
		var data zenv1.ZenAgentEvent
		if err := back.DataAs(&data); err != nil {
			t.Fatalf("data: %v", err)
		}
		if utf8.ValidString(title) && data.Spec.Title != title {
			t.Fatalf("title %q became %q", title, data.Spec.Title)
		}
	})
}
