package mapping

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/source"
)

func TestItems(t *testing.T) {
	body := decode(t, `{"event_data":{"resources":[{"id":1},{"id":2}]},"n":3}`)
	for _, tc := range []struct {
		expr string
		want int
	}{
		{``, 1},
		{`body.event_data.resources`, 2},
		{`body.event_data.resources.filter(r, r.id > 1)`, 1},
		{`[body]`, 1},
		{`body.event_data.resources.map(r, {"id": r.id, "src": source.name})`, 2},
	} {
		it, err := CompileItems(tc.expr)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		items, err := it.Extract(context.Background(), body, teamA)
		if err != nil || len(items) != tc.want {
			t.Errorf("%s: %d items, err %v; want %d", tc.expr, len(items), err, tc.want)
		}
	}
	it, _ := CompileItems(`body.event_data.resources.map(r, {"src": source.name})`)
	items, _ := it.Extract(context.Background(), body, teamA)
	if m, ok := items[0].(map[string]any); !ok || m["src"] != "harbor" {
		t.Errorf("a built item is %#v", items[0])
	}
}

func TestItemsRefusesTheBody(t *testing.T) {
	for _, tc := range []struct{ expr, body, reason string }{
		{`body.alerts`, `{"other":1}`, source.ReasonUnknownShape},
		{`body.n`, `{"n":[1]}`, ""}, // dyn: a list at run time is fine
		{`body.n`, `{"n":1}`, source.ReasonWrongType},
		{`body`, `[` + strings.Repeat("1,", MaxItems) + `1]`, source.ReasonUnknownShape},
	} {
		it, err := CompileItems(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		_, err = it.Extract(context.Background(), decode(t, tc.body), teamA)
		var pe *source.ParseError
		switch {
		case tc.reason == "" && err != nil:
			t.Errorf("%s on %.20s: %v", tc.expr, tc.body, err)
		case tc.reason != "" && (!errors.As(err, &pe) || pe.Reason != tc.reason):
			t.Errorf("%s on %.20s: %v, want reason %s", tc.expr, tc.body, err, tc.reason)
		}
	}
	for _, expr := range []string{`body.`, `"list"`, `source.uid`} {
		if _, err := CompileItems(expr); err == nil {
			t.Errorf("%s compiled", expr)
		}
	}
}

func TestDecodeRefusesMalformed(t *testing.T) {
	for _, body := range []string{``, `{`, `{"a":1} {"b":2}`, `nul`, strings.Repeat("[", 20000)} {
		if _, err := Decode([]byte(body)); err == nil {
			t.Errorf("%.20q decoded", body)
		}
	}
}

// FuzzItemsAndMapping runs arbitrary JSON through the items expression and
// the mapping: every body is either refused with a parse error or split
// into items, each of which is mapped or rejected with a reason; nothing
// panics, and a kept finding always satisfies the mapping's contract.
func FuzzItemsAndMapping(f *testing.F) {
	for _, seed := range []string{
		`{"alerts":[{"status":"firing","labels":{"alertname":"X","severity":"critical","namespace":"team-a"},"startsAt":"2026-01-01T00:00:00Z","fingerprint":"f"}]}`,
		`{"alerts":[{"status":"resolved","labels":{"severity":"info","namespace":"team-b"}}]}`,
		`{"alerts":[1, "x", null, {"labels":[]}]}`,
		`{"alerts":{}}`, `[]`, `null`, `"x"`, `{"alerts":[{"labels":{"severity":"` + strings.Repeat("é", 100) + `"}}]}`,
	} {
		f.Add([]byte(seed))
	}
	items, err := CompileItems(`body.alerts`)
	if err != nil {
		f.Fatal(err)
	}
	p, err := Compile(v1alpha1.Mapping{
		Severity:   `has(item.labels.severity) ? item.labels.severity.upperAscii() : "INFO"`,
		Category:   `"security"`,
		EventType:  `"alert"`,
		DedupKey:   `item.fingerprint`,
		DetectedAt: `timestamp(item.startsAt)`,
		Resource:   `{"kind": "Namespace", "name": item.labels.namespace, "namespace": item.labels.namespace}`,
		Details:    `item.labels`,
		Filter:     `item.status == "firing"`,
	}, VarItem)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		body, err := Decode(data)
		if err != nil {
			return
		}
		list, err := items.Extract(context.Background(), body, teamA)
		if err != nil {
			var pe *source.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("extract error %T %v", err, err)
			}
			return
		}
		for _, item := range list {
			fd, keep, err := p.Map(context.Background(), item, teamA)
			var me *Error
			switch {
			case err != nil && !errors.As(err, &me):
				t.Fatalf("map error %T %v", err, err)
			case err != nil && me.Reason == "":
				t.Fatalf("no reason: %v", err)
			case keep && (fd.EventNamespace != "team-a" || !strings.HasPrefix(fd.DedupKey, "team-a/harbor/") || fd.Source != "harbor"):
				t.Fatalf("escaped its tenant: %+v", fd)
			}
		}
	})
}

func TestItemsOfAnArrayBody(t *testing.T) {
	it, err := CompileItems(`body.filter(x, x.sev != "none")`)
	if err != nil {
		t.Fatal(err)
	}
	items, err := it.Extract(context.Background(), decode(t, `[{"sev":"high"},{"sev":"none"}]`), teamA)
	if err != nil || len(items) != 1 {
		t.Fatalf("%v %v", items, err)
	}
}
