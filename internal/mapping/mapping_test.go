package mapping

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/api/v1alpha1"
)

// harbor is the example mapping.
var harbor = v1alpha1.Mapping{
	Severity:   `item.severity.upperAscii()`,
	Category:   `"security"`,
	EventType:  `"vulnerability"`,
	DetectedAt: `timestamp(item.time)`,
	DedupKey:   `item.repository + "/" + item.cve`,
	Resource:   `{"kind": "Image", "name": item.repository}`,
	Details:    `{"cve": item.cve, "score": item.score}`,
	Rule:       `item.cve`,
	Title:      `item.repository + ": " + item.cve`,
	Filter:     `item.severity != "None"`,
	Resolved:   `has(item.fixed) && item.fixed`,
}

var teamA = Source{Namespace: "team-a", Name: "harbor"}

func decode(t *testing.T, s string) any {
	t.Helper()
	v, err := Decode([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMapHarborItem(t *testing.T) {
	p, err := Compile(harbor, VarItem)
	if err != nil {
		t.Fatal(err)
	}
	item := decode(t, `{"severity":"high","time":"2026-01-02T03:04:05Z","repository":"library/nginx","cve":"CVE-2024-1","score":7.5}`)
	f, keep, err := p.Map(context.Background(), item, teamA)
	if err != nil || !keep {
		t.Fatalf("keep %v, err %v", keep, err)
	}
	want := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	switch {
	case f.Source != "harbor", f.Severity != zenv1.SeverityHigh, f.Category != zenv1.CategorySecurity, f.EventType != "vulnerability":
		t.Errorf("identity: %+v", f)
	case f.DedupKey != "team-a/harbor/library/nginx/CVE-2024-1":
		t.Errorf("dedup key %q", f.DedupKey)
	case !f.DetectedAt.Equal(want):
		t.Errorf("detectedAt %v", f.DetectedAt)
	case f.Resource == nil || f.Resource.Kind != "Image" || f.Resource.Name != "library/nginx" || f.Resource.Namespace != "":
		t.Errorf("resource %+v", f.Resource)
	case f.Details["cve"] != "CVE-2024-1" || f.Details["score"] != 7.5:
		t.Errorf("details %v", f.Details)
	case f.Rule != "CVE-2024-1" || f.Title != "library/nginx: CVE-2024-1":
		t.Errorf("rule %q title %q", f.Rule, f.Title)
	case f.EventNamespace != "team-a":
		t.Errorf("written in %q, want the source's namespace", f.EventNamespace)
	case f.Resolved:
		t.Error("resolved")
	}
	if f, _, err := p.Map(context.Background(), decode(t, `{"severity":"high","time":"2026-01-02T03:04:05Z","repository":"r","cve":"c","score":1,"fixed":true}`), teamA); err != nil || !f.Resolved {
		t.Errorf("not resolved: %v", err)
	}

	_, keep, err = p.Map(context.Background(), decode(t, `{"severity":"None","time":"2026-01-02T03:04:05Z","repository":"r","cve":"c","score":0}`), teamA)
	if keep || err != nil {
		t.Errorf("the filter kept an item: keep %v err %v", keep, err)
	}
}

func TestCompileErrorsNameEveryField(t *testing.T) {
	for _, tc := range []struct {
		name     string
		m        v1alpha1.Mapping
		variable string
		want     []string
	}{
		{"required", v1alpha1.Mapping{Severity: `"HIGH"`}, VarItem,
			[]string{"mapping.category: required", "mapping.eventType: required", "mapping.dedupKey: required"}},
		{"syntax and types", v1alpha1.Mapping{Severity: `item.severity.`, Category: `1`, EventType: `"x"`, DedupKey: `item.id`,
			DetectedAt: `"2026-01-01"`, Resource: `"pod"`, Details: `[1]`, Filter: `"yes"`}, VarItem,
			[]string{"mapping.severity: ERROR", "mapping.category: evaluates to int, want a string", "mapping.detectedAt: evaluates to string, want a timestamp",
				"mapping.resource: evaluates to string, want a map", "mapping.details: evaluates to list(int), want a map", "mapping.filter: evaluates to string, want a bool"}},
		{"wrong variable", v1alpha1.Mapping{Severity: `"HIGH"`, Category: `"security"`, EventType: `"x"`, DedupKey: `item.metadata.uid`}, VarObject,
			[]string{"mapping.dedupKey: ERROR", "undeclared reference to 'item'"}},
		{"source member", v1alpha1.Mapping{Severity: `"HIGH"`, Category: `"security"`, EventType: `"x"`, DedupKey: `source.nmae`}, VarItem,
			[]string{`mapping.dedupKey: source has no member "nmae"`}},
		{"certain to cost too much", v1alpha1.Mapping{Severity: `"HIGH"`, Category: `"security"`, EventType: `"x"`,
			DedupKey: `string([` + strings.Repeat("1,", 500) + `1].map(a, [` + strings.Repeat("1,", 500) + `1].map(b, a + b)).size())`}, VarItem,
			[]string{"mapping.dedupKey: costs at least"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(tc.m, tc.variable)
			if err == nil {
				t.Fatal("compiled")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v\nlacks %q", err, w)
				}
			}
		})
	}
	if _, err := Compile(harbor, "body"); err == nil {
		t.Error("compiled for the body variable")
	}
}

func TestMapRejectsOneItemWithReason(t *testing.T) {
	p, err := Compile(harbor, VarItem)
	if err != nil {
		t.Fatal(err)
	}
	ok := `"time":"2026-01-02T03:04:05Z","repository":"r","cve":"c","score":1`
	for _, tc := range []struct{ name, item, reason, field string }{
		{"missing key", `{"severity":"high","repository":"r","cve":"c","score":1}`, ReasonEval, "detectedAt"},
		{"severity outside the enum", `{"severity":"urgent",` + ok + `}`, ReasonUnknownValue, "severity"},
		{"severity not a string", `{"severity":3,` + ok + `}`, ReasonEval, "severity"},
		{"item not an object", `[1,2]`, ReasonEval, "filter"},
		{"bad timestamp", `{"severity":"low","time":"yesterday","repository":"r","cve":"c","score":1}`, ReasonEval, "detectedAt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, keep, err := p.Map(context.Background(), decode(t, tc.item), teamA)
			var me *Error
			if keep || !errors.As(err, &me) || me.Reason != tc.reason || me.Field != tc.field {
				t.Fatalf("keep %v, err %#v; want reason %s on %s", keep, err, tc.reason, tc.field)
			}
		})
	}
}

func TestMapConfinesNamespaces(t *testing.T) {
	m := v1alpha1.Mapping{Severity: `"LOW"`, Category: `"compliance"`, EventType: `"x"`, DedupKey: `item.id`,
		Resource: `{"kind": "Pod", "name": "p", "namespace": item.ns}`}
	p, err := Compile(m, VarItem)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		src    Source
		ns     string
		reject bool
		into   string
	}{
		{"own namespace", teamA, "team-a", false, "team-a"},
		{"another namespace", teamA, "team-b", true, ""},
		{"no namespace", teamA, "", false, "team-a"},
		{"zen-watcher's own source", Source{Namespace: "zen-system", Name: "x", AnyNamespace: true}, "team-b", false, "team-b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, keep, err := p.Map(context.Background(), map[string]any{"id": "1", "ns": tc.ns}, tc.src)
			var me *Error
			if tc.reject {
				if keep || !errors.As(err, &me) || me.Reason != ReasonOtherNamespace {
					t.Fatalf("not rejected: keep %v err %v", keep, err)
				}
				return
			}
			if err != nil || f.EventNamespace != tc.into {
				t.Fatalf("err %v, written in %q, want %q", err, f.EventNamespace, tc.into)
			}
		})
	}
}

func TestMapResourceMembers(t *testing.T) {
	for _, expr := range []string{`{"kind": "Pod", "uid": "x"}`, `{"kind": 1}`} {
		p, err := Compile(v1alpha1.Mapping{Severity: `"LOW"`, Category: `"security"`, EventType: `"x"`, DedupKey: `"k"`, Resource: expr}, VarItem)
		if err != nil {
			t.Fatal(err)
		}
		var me *Error
		if _, _, err := p.Map(context.Background(), map[string]any{}, teamA); !errors.As(err, &me) || me.Reason != ReasonWrongType {
			t.Errorf("%s: %v", expr, err)
		}
	}
}

func TestMapCostLimit(t *testing.T) {
	p, err := Compile(v1alpha1.Mapping{Severity: `"LOW"`, Category: `"security"`, EventType: `"x"`,
		DedupKey: `string(item.l.map(a, item.l.map(b, a + b)).size())`}, VarItem)
	if err != nil {
		t.Fatal(err)
	}
	l := make([]any, 2000)
	for i := range l {
		l[i] = float64(i)
	}
	var me *Error
	if _, _, err := p.Map(context.Background(), map[string]any{"l": l}, teamA); !errors.As(err, &me) || me.Reason != ReasonCostLimit {
		t.Fatalf("%v", err)
	}
}

func TestMapHonoursContext(t *testing.T) {
	p, err := Compile(v1alpha1.Mapping{Severity: `"LOW"`, Category: `"security"`, EventType: `"x"`,
		DedupKey: `string(item.l.filter(a, a > 0).size())`}, VarItem)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l := make([]any, 1000)
	for i := range l {
		l[i] = 1.0
	}
	if _, _, err := p.Map(ctx, map[string]any{"l": l}, teamA); err == nil {
		t.Fatal("an ended context did not interrupt the evaluation")
	}
}

// BenchmarkMap measures one item through the example mapping.
func BenchmarkMap(b *testing.B) {
	p, err := Compile(harbor, VarItem)
	if err != nil {
		b.Fatal(err)
	}
	item, _ := Decode([]byte(`{"severity":"high","time":"2026-01-02T03:04:05Z","repository":"library/nginx","cve":"CVE-2024-1","score":7.5}`))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := p.Map(ctx, item, teamA); err != nil {
			b.Fatal(err)
		}
	}
}
