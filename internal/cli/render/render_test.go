package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func event(name string, sev zenv1.Severity, rule string) zenv1.ZenAgentEvent {
	seen := metav1.NewTime(now.Add(-90 * time.Second))
	return zenv1.ZenAgentEvent{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"},
		Spec: zenv1.ZenAgentEventSpec{Source: "trivy", Severity: sev, EventType: "vulnerability", Rule: rule,
			Resource: &zenv1.ResourceRef{Kind: "Deployment", Name: "web"}, Details: &apiextensionsv1.JSON{Raw: []byte(`{"a":1}`)}},
		Status: zenv1.ZenAgentEventStatus{Count: 2, LastSeen: &seen},
	}
}

func TestTableAlignsWithAndWithoutColour(t *testing.T) {
	evs := []zenv1.ZenAgentEvent{event("a", zenv1.SeverityCritical, "CVE-1"), event("bb", zenv1.SeverityInfo, "CVE-22"), event("c", zenv1.SeverityLow, "")}
	for _, color := range []bool{false, true} {
		var b bytes.Buffer
		if err := Table(&b, evs, Options{Color: color, Now: now}); err != nil {
			t.Fatal(err)
		}
		plain := stripANSI(b.String())
		lines := strings.Split(strings.TrimSpace(plain), "\n")
		col := strings.Index(lines[0], "TYPE")
		for _, l := range lines[1:] {
			if !strings.HasPrefix(l[col:], "vulnerability") {
				t.Errorf("colour %v: TYPE not aligned:\n%s", color, plain)
			}
		}
		if strings.Contains(b.String(), "\x1b[") != color {
			t.Errorf("colour %v but escapes present %v", color, !color)
		}
		if !strings.Contains(plain, "<none>") || !strings.Contains(plain, "90s") {
			t.Errorf("missing rule or age:\n%s", plain)
		}
	}
}

func TestTableEscapesHostileCells(t *testing.T) {
	e := event("a", zenv1.SeverityHigh, "\x1b]0;pwned\x07")
	var b bytes.Buffer
	if err := Table(&b, []zenv1.ZenAgentEvent{e}, Options{Now: now}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "\x1b") {
		t.Errorf("a rule sent a raw escape to the terminal: %q", b.String())
	}
}

func TestSummarize(t *testing.T) {
	a, b, c := event("a", zenv1.SeverityHigh, "x"), event("b", zenv1.SeverityHigh, "y"), event("c", zenv1.SeverityLow, "z")
	c.Spec.Source, c.Status.State = "falco", zenv1.StateResolved
	s := Summarize([]zenv1.ZenAgentEvent{a, b, c})
	got, _ := json.Marshal(s)
	want := `{"bySource":{"falco":{"LOW":1},"trivy":{"HIGH":2}},"open":2,"resolved":1,"topNamespaces":[{"name":"shop","count":2}],"topResources":[{"name":"Deployment/web","count":2}],"total":3}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	var out bytes.Buffer
	if err := PrintSummary(&out, s); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "trivy    0          2      0        0     0      2") {
		t.Errorf("summary table:\n%s", out.String())
	}
}

func TestColumns(t *testing.T) {
	cols, err := ParseColumns("NAME:.metadata.name,RULE:.spec.rule")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	objs := []map[string]any{{"metadata": map[string]any{"name": "a"}, "spec": map[string]any{"rule": "R"}}, {"metadata": map[string]any{"name": "b"}}}
	if err := Columns(&b, cols, objs, false); err != nil {
		t.Fatal(err)
	}
	if want := "NAME   RULE\na      R\nb      <none>\n"; b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	for _, bad := range []string{"", "NAME", ":.x", "N:{.a"} {
		if _, err := ParseColumns(bad); err == nil {
			t.Errorf("%q must be refused", bad)
		}
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
