package audit

import (
	"strings"
	"sync"
	"testing"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

const exampleRules = `
rules:
- name: kube-system-configmap-change
  expression: 'has(event.objectRef) && has(event.objectRef.namespace) && event.objectRef.namespace == "kube-system" && event.verb in ["update", "patch"]'
  eventType: kube-system-change
  severity: HIGH
- name: evil-image
  expression: >-
    has(event.requestObject) && has(event.requestObject.spec) &&
    event.requestObject.spec.containers.exists(c, c.image.startsWith("evil/"))
  eventType: evil-image
  severity: critical
- name: server-error
  expression: 'has(event.responseStatus) && event.responseStatus.code >= 500'
  eventType: apiserver-error
  severity: LOW
- name: denied-again
  expression: 'has(event.responseStatus) && event.responseStatus.code == 403'
  eventType: denied-again
  severity: MEDIUM
`

func loadOK(t *testing.T, yaml string) *Parser {
	t.Helper()
	r, err := LoadRules(DefaultTrustedUsers, []byte(yaml))
	if err != nil {
		t.Fatalf("LoadRules: %v", err)
	}
	return NewParser(r)
}

func TestCustomRules(t *testing.T) {
	p := loadOK(t, exampleRules)
	cases := []struct {
		name     string
		over     map[string]any
		rule     string
		severity zenv1.Severity
		rules    string
	}{
		{"kube-system configmap patch, even by a trusted user", map[string]any{"verb": "patch", "objectRef": objRef("configmaps", "kube-system", "coredns"),
			"user": withUser("system:kube-controller-manager")}, "kube-system-configmap-change", zenv1.SeverityHigh, "kube-system-configmap-change"},
		{"a tie goes to the built-in rule", map[string]any{"verb": "patch", "objectRef": objRef("secrets", "kube-system", "s")},
			"secret-modified", zenv1.SeverityHigh, "secret-modified kube-system-configmap-change"},
		{"a more severe custom rule wins", merge(podCreate, map[string]any{"requestObject": pod(map[string]any{"hostPID": true,
			"containers": []any{map[string]any{"name": "a", "image": "evil/miner"}}})}), "evil-image", zenv1.SeverityCritical, "host-access-pod evil-image"},
		{"doubles compare with ints", map[string]any{"responseStatus": map[string]any{"code": 503}}, "server-error", zenv1.SeverityLow, "server-error"},
		{"a less severe custom rule only adds its name", denied, "access-denied", zenv1.SeverityMedium, "access-denied denied-again"},
		{"no rule", nil, "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := parseOK(t, p, mustJSON(t, eventWith(c.over)))
			if c.rule == "" {
				if len(b.Findings) != 0 {
					t.Fatalf("got %+v; want no finding", b.Findings)
				}
				return
			}
			if len(b.Findings) != 1 {
				t.Fatalf("got %+v; want a finding", b)
			}
			f := b.Findings[0]
			if f.Details["rule"] != c.rule || f.Severity != c.severity || strings.Join(f.Details["rules"].([]string), " ") != c.rules {
				t.Errorf("got %v %s %v; want %s %s %s", f.Details["rule"], f.Severity, f.Details["rules"], c.rule, c.severity, c.rules)
			}
		})
	}
	if n := p.EvalErrors(); n != 0 {
		t.Errorf("%d evaluation errors; the rules guard with has()", n)
	}
}

func TestCustomRuleListing(t *testing.T) {
	r, err := LoadRules(nil, []byte(exampleRules))
	if err != nil {
		t.Fatal(err)
	}
	list := r.List()
	if len(list) != len(builtinRules)+4 {
		t.Fatalf("%d rules", len(list))
	}
	last := list[len(list)-1]
	if !last.Custom || last.Name != "denied-again" || last.EventType != "denied-again" || last.Severity != zenv1.SeverityMedium ||
		!strings.Contains(last.Match, "event.responseStatus.code == 403") {
		t.Errorf("last rule %+v", last)
	}
	if list[len(builtinRules)+1].Severity != zenv1.SeverityCritical {
		t.Error("severity words are read in any case")
	}
}

func TestRuntimeErrorIsNoMatch(t *testing.T) {
	// Selecting an absent member fails: objectRef is missing on a
	// non-resource request. No match, and counted.
	p := loadOK(t, `
rules:
- name: unguarded
  expression: 'event.objectRef.namespace == "kube-system"'
  eventType: kube-system-change
  severity: HIGH
`)
	b := parseOK(t, p, list(mustJSON(t, eventWith(map[string]any{"objectRef": nil, "requestURI": "/apis"})),
		mustJSON(t, eventWith(map[string]any{"objectRef": objRef("pods", "kube-system", "x")})),
		mustJSON(t, eventWith(map[string]any{"objectRef": objRef("nodes", "", "n1")}))))
	if len(b.Findings) != 1 || b.Dropped[DropUnimportant] != 2 {
		t.Errorf("got %+v; want the kube-system event only", b)
	}
	if n := p.EvalErrors(); n != 2 {
		t.Errorf("EvalErrors %d; want 2 (no objectRef, no namespace)", n)
	}
}

func TestDisable(t *testing.T) {
	p := loadOK(t, "disable: [secret-read, access-denied]\n")
	b := parseOK(t, p, list(mustJSON(t, eventWith(map[string]any{"objectRef": secretRef})), mustJSON(t, eventWith(denied))))
	if len(b.Findings) != 0 || b.Dropped[DropUnimportant] != 2 {
		t.Errorf("got %+v; want both dropped", b)
	}
	for _, r := range p.rules.List() {
		if r.Name == "secret-read" || r.Name == "access-denied" {
			t.Errorf("%s still listed", r.Name)
		}
	}
}

func TestEmptyRulesFiles(t *testing.T) {
	for _, y := range []string{"", "  \n", "rules: []", "rules:\n", "{}", "# nothing\n"} {
		r, err := LoadRules(nil, []byte(y))
		if err != nil || len(r.List()) != len(builtinRules) || r.custom {
			t.Errorf("%q: %v; want the built-in rules only", y, err)
		}
	}
}

func TestBadRulesFiles(t *testing.T) {
	rule := func(name, expr, eventType, severity string) string {
		return "rules:\n- name: " + name + "\n  expression: '" + expr + "'\n  eventType: " + eventType + "\n  severity: " + severity + "\n"
	}
	cases := []struct {
		name, yaml string
		want       []string // all in the message
	}{
		{"not boolean", rule("r1", `event.verb`, "x", "HIGH"), []string{`"r1"`, "want bool"}},
		{"a string", rule("r1", `"yes"`, "x", "HIGH"), []string{`"r1"`, "evaluates to string"}},
		{"arithmetic", rule("r1", `1 + 2`, "x", "HIGH"), []string{"evaluates to int"}},
		{"syntax error", rule("r1", `event.verb ==`, "x", "HIGH"), []string{`"r1"`, "compiling expression", "Syntax error"}},
		{"undeclared variable", rule("r1", `request.verb == "get"`, "x", "HIGH"), []string{"undeclared reference to 'request'"}},
		{"misspelt member", rule("r1", `event.objectref.namespace == "a"`, "x", "HIGH"), []string{`event has no member "objectref"`}},
		{"misspelt objectRef member", rule("r1", `has(event.objectRef.ns)`, "x", "HIGH"), []string{`event.objectRef has no member "ns"`}},
		{"misspelt user member", rule("r1", `event.user.name == "a"`, "x", "HIGH"), []string{`event.user has no member "name"`}},
		{"missing everything", "rules:\n- {}\n", []string{"rule 1", "missing name, expression, eventType, severity"}},
		{"missing severity", "rules:\n- name: a\n  expression: 'true'\n  eventType: x\n", []string{`"a"`, "missing severity"}},
		{"bad severity", rule("r1", `true`, "x", "SEVERE"), []string{`severity "SEVERE"`}},
		{"bad eventType", rule("r1", `true`, "Kube_System", "HIGH"), []string{`eventType "Kube_System"`}},
		{"long eventType", rule("r1", `true`, strings.Repeat("a", 64), "HIGH"), []string{"eventType"}},
		{"bad name", rule("R 1", `true`, "x", "HIGH"), []string{`name "R 1"`}},
		{"duplicate names", rule("r1", `true`, "x", "HIGH") + strings.TrimPrefix(rule("r1", `false`, "y", "LOW"), "rules:\n"),
			[]string{"rule 2", "name is taken"}},
		{"a built-in name", rule("secret-read", `true`, "x", "HIGH"), []string{`"secret-read"`, "name is taken"}},
		{"unknown rule key", "rules:\n- name: a\n  expresion: 'true'\n  eventType: x\n  severity: HIGH\n", []string{`unknown field "expresion"`}},
		{"unknown top-level key", "rule:\n- name: a\n", []string{`unknown field "rule"`}},
		{"duplicate key", "rules: []\nrules: []\n", []string{"reading audit rules"}},
		{"a list", "- name: a\n", []string{"reading audit rules"}},
		{"not YAML", "rules: [\n", []string{"reading audit rules"}},
		{"disable an unknown rule", "disable: [no-such-rule]\n", []string{`"no-such-rule" is not a built-in rule`}},
		{"too many rules", "rules:\n" + strings.Repeat("- name: a\n", maxCustomRules+1), []string{"at most 100"}},
		{"too long", rule("r1", strings.Repeat("true && ", 600)+"true", "x", "HIGH"), []string{"exceeds limit"}},
		{"all errors at once", rule("r1", `1`, "x", "HIGH") + strings.TrimPrefix(rule("r2", `true`, "x", "NOPE"), "rules:\n"),
			[]string{`rule 1 ("r1")`, `rule 2 ("r2")`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := LoadRules(nil, []byte(c.yaml))
			if err == nil {
				t.Fatalf("accepted: %+v", r.List())
			}
			if r != nil {
				t.Error("rules returned with an error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q should contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadRulesChecksTrustedUsers(t *testing.T) {
	if _, err := LoadRules([]string{"system:*:admin"}, nil); err == nil || !strings.Contains(err.Error(), "system:*:admin") {
		t.Errorf("err %v; want the bad pattern named", err)
	}
}

func TestConcurrentParse(t *testing.T) {
	// One Parser serves every request: run it from many goroutines under
	// -race, with custom rules and the evaluation-error counter in play.
	p := loadOK(t, exampleRules+`- name: unguarded
  expression: 'event.objectRef.namespace == "kube-system"'
  eventType: x
  severity: LOW
`)
	body := fixtures.Read(t, fxList)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if b, err := p.Parse(body, sourcetest.Now); err != nil || len(b.Findings) != 5 {
					t.Errorf("got %d findings, %v", len(b.Findings), err)
					return
				}
			}
		})
	}
	wg.Wait()
	// The ClusterRoleBinding has no namespace: one error per parse.
	if n := p.EvalErrors(); n != 8*20 {
		t.Errorf("EvalErrors %d; want %d", n, 8*20)
	}
}
