package pipeline

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// exampleFilter is the expression the README promises works.
const exampleFilter = `finding.severity in ["CRITICAL","HIGH"] && finding.resource.namespace != "kube-system"`

// filterFinding is a finding with the given key, severity, category and
// namespace ("" means no resource at all).
func filterFinding(key string, sev zenv1.Severity, cat zenv1.Category, ns string) finding.Finding {
	f := finding.Finding{
		Source: "kyverno", Category: cat, Severity: sev, EventType: "policy-violation",
		DedupKey: key, DetectedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		Rule: "policy/" + key, Title: "Title of " + key,
	}
	if ns != "" {
		f.Resource = &zenv1.ResourceRef{APIVersion: "v1", Kind: "Pod", Name: "p", Namespace: ns}
	}
	return f
}

func keys(fs []finding.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.DedupKey
	}
	return out
}

func TestNewFilterStageErrors(t *testing.T) {
	tests := []struct {
		name, mode, expr string
		wantInErr        []string
	}{
		{"unknown mode", "paranoid", "", []string{`"paranoid"`}},
		{"custom without expression", "custom", "", []string{"custom"}},
		{"expression outside custom", "all", "true", []string{`"true"`, "custom"}},
		{"syntax error", "custom", `finding.severity ==`, []string{`"finding.severity =="`, "Syntax error"}},
		{"undeclared variable", "custom", `event.severity == "HIGH"`, []string{"undeclared reference", "event"}},
		{"no matching overload", "custom", `1 + "a"`, []string{"no matching overload"}},
		{"string result", "custom", `"yes"`, []string{"string", "want bool"}},
		{"int result", "custom", `finding.severity.size()`, []string{"int", "want bool"}},
		{"misspelt field", "custom", `finding.sevrity == "HIGH"`, []string{`"sevrity"`, "severity"}},
		{"misspelt field in has", "custom", `has(finding.detail)`, []string{`"detail"`}},
		{"misspelt resource field", "custom", `finding.resource.nmespace == "x"`, []string{`"nmespace"`, "namespace"}},
		{"too long", "custom", strings.Repeat("true && ", 600) + "true", []string{"size"}},
		{"deep nesting", "custom", strings.Repeat("(", 1000) + "true" + strings.Repeat(")", 1000), []string{"recursion limit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewFilterStage(config.BehaviorMode(tt.mode), tt.expr, nil)
			if err == nil {
				t.Fatalf("got stage %+v, want error", s)
			}
			for _, want := range tt.wantInErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestNewFilterStageAccepts(t *testing.T) {
	for _, expr := range []string{
		exampleFilter,
		`true`,
		`finding.resolved`,
		`finding.details.score > 5.0`,
		`has(finding.details.cve) && finding.details.cve.startsWith("CVE-")`,
		`finding.detectedAt > timestamp("2020-01-01T00:00:00Z")`,
		`finding.source == "falco" || finding.eventType.matches("^vuln")`,
		`finding.resource.kind == "Pod" && finding.resource.apiVersion == "v1" && finding.resource.name != ""`,
		`finding.category == "security" && finding.dedupKey.contains("/")`,
	} {
		t.Run(expr, func(t *testing.T) {
			if _, err := NewFilterStage(config.BehaviorCustom, expr, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestFilterModes(t *testing.T) {
	crit := filterFinding("crit", zenv1.SeverityCritical, zenv1.CategorySecurity, "shop")
	high := filterFinding("high", zenv1.SeverityHigh, zenv1.CategorySecurity, "shop")
	highSys := filterFinding("high-sys", zenv1.SeverityHigh, zenv1.CategorySecurity, "kube-system")
	highHost := filterFinding("high-host", zenv1.SeverityHigh, zenv1.CategorySecurity, "")
	med := filterFinding("med", zenv1.SeverityMedium, zenv1.CategorySecurity, "shop")
	lowComp := filterFinding("low-comp", zenv1.SeverityLow, zenv1.CategoryCompliance, "shop")
	critComp := filterFinding("crit-comp", zenv1.SeverityCritical, zenv1.CategoryCompliance, "shop")
	resolvedLow := filterFinding("resolved-low", zenv1.SeverityLow, zenv1.CategoryCompliance, "kube-system")
	resolvedLow.Resolved = true
	all := []finding.Finding{crit, high, highSys, highHost, med, lowComp, critComp, resolvedLow}

	tests := []struct {
		mode     config.BehaviorMode
		expr     string
		want     []string
		filtered map[string]float64 // reason → count
	}{
		{config.BehaviorAll, "", keys(all), nil},
		{
			config.BehaviorConservative, "",
			[]string{"crit", "high", "high-sys", "high-host", "crit-comp", "resolved-low"},
			map[string]float64{reasonBehaviorMode: 2},
		},
		{
			config.BehaviorSecurityOnly, "",
			[]string{"crit", "high", "high-sys", "high-host", "med", "resolved-low"},
			map[string]float64{reasonBehaviorMode: 2},
		},
		{
			config.BehaviorCustom, exampleFilter,
			[]string{"crit", "high", "high-host", "crit-comp", "resolved-low"},
			map[string]float64{reasonFilterExpression: 3},
		},
		{config.BehaviorCustom, "false", []string{"resolved-low"}, map[string]float64{reasonFilterExpression: 7}},
		{
			config.BehaviorCustom, `finding.rule == "policy/high" || finding.title.endsWith("med")`,
			[]string{"high", "med", "resolved-low"}, map[string]float64{reasonFilterExpression: 5},
		},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode)+"/"+tt.expr, func(t *testing.T) {
			m := NewMetrics(nil)
			s, err := NewFilterStage(tt.mode, tt.expr, m)
			if err != nil {
				t.Fatal(err)
			}
			got := keys(s.Exec(context.Background(), all))
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("kept %v, want %v", got, tt.want)
			}
			for _, reason := range []string{reasonBehaviorMode, reasonFilterExpression, reasonFilterError} {
				if c := testutil.ToFloat64(m.FindingsFiltered.WithLabelValues("kyverno", reason)); c != tt.filtered[reason] {
					t.Errorf("filtered{reason=%q} = %v, want %v", reason, c, tt.filtered[reason])
				}
			}
		})
	}
}

func TestFilterCustomEvaluation(t *testing.T) {
	withDetails := func(key string, d map[string]any) finding.Finding {
		f := filterFinding(key, zenv1.SeverityHigh, zenv1.CategorySecurity, "shop")
		f.Details = d
		return f
	}
	big := make([]any, 1000)
	for i := range big {
		big[i] = i
	}
	tests := []struct {
		name    string
		expr    string
		in      finding.Finding
		ctx     func() context.Context
		wantErr bool // filtered as filter-error; otherwise kept
	}{
		{name: "details value compared", expr: `finding.details.score > 5.0`, in: withDetails("k", map[string]any{"score": 7.5})},
		{name: "missing details key", expr: `finding.details.score > 5.0`, in: withDetails("k", map[string]any{}), wantErr: true},
		{name: "nil details", expr: `finding.details.score > 5.0`, in: withDetails("k", nil), wantErr: true},
		{name: "has on nil details", expr: `!has(finding.details.score)`, in: withDetails("k", nil)},
		{name: "wrong type in details", expr: `finding.details.score > 5.0`, in: withDetails("k", map[string]any{"score": "high"}), wantErr: true},
		{name: "dyn result that is not bool", expr: `finding.details.flag`, in: withDetails("k", map[string]any{"flag": "yes"}), wantErr: true},
		{name: "dyn result that is bool", expr: `finding.details.flag`, in: withDetails("k", map[string]any{"flag": true})},
		{name: "unencodable details value", expr: `finding.details.ch == 1`, in: withDetails("k", map[string]any{"ch": make(chan int)}), wantErr: true},
		{name: "integer against double", expr: `finding.details.port == 22`, in: withDetails("k", map[string]any{"port": 22.0})},
		{name: "timestamp", expr: `finding.detectedAt < timestamp("2030-01-01T00:00:00Z")`, in: withDetails("k", nil)},
		{name: "host finding has empty resource", expr: `finding.resource.name == "" && finding.resource.kind == ""`, in: filterFinding("k", zenv1.SeverityHigh, zenv1.CategorySecurity, "")},
		{name: "division by zero", expr: `1 / (finding.details.n - finding.details.n) == 1`, in: withDetails("k", map[string]any{"n": 1}), wantErr: true},
		{
			name:    "cost limit stops a runaway comprehension",
			expr:    `finding.details.l.all(a, finding.details.l.all(b, finding.details.l.all(c, a + b + c >= 0)))`,
			in:      withDetails("k", map[string]any{"l": big}),
			wantErr: true,
		},
		{
			name: "cancelled context interrupts a comprehension",
			expr: `finding.details.l.all(a, a >= 0)`,
			in:   withDetails("k", map[string]any{"l": big}),
			ctx: func() context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx
			},
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMetrics(nil)
			s, err := NewFilterStage(config.BehaviorCustom, tt.expr, m)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if tt.ctx != nil {
				ctx = tt.ctx()
			}
			out := s.Exec(ctx, []finding.Finding{tt.in})
			if kept := len(out) == 1; kept == tt.wantErr {
				t.Errorf("kept = %v, want %v", kept, !tt.wantErr)
			}
			wantErrs := 0.0
			if tt.wantErr {
				wantErrs = 1
			}
			if c := testutil.ToFloat64(m.FindingsFiltered.WithLabelValues("kyverno", reasonFilterError)); c != wantErrs {
				t.Errorf("filter errors = %v, want %v", c, wantErrs)
			}
		})
	}
}

func TestFilterResolvedAlwaysPasses(t *testing.T) {
	f := filterFinding("k", zenv1.SeverityInfo, zenv1.CategoryCompliance, "kube-system")
	f.Resolved = true
	for _, mode := range []config.BehaviorMode{config.BehaviorConservative, config.BehaviorSecurityOnly, config.BehaviorCustom} {
		t.Run(string(mode), func(t *testing.T) {
			expr := ""
			if mode == config.BehaviorCustom {
				expr = `finding.details.missing == "x"` // would be a filter error
			}
			s, err := NewFilterStage(mode, expr, nil)
			if err != nil {
				t.Fatal(err)
			}
			if out := s.Exec(context.Background(), []finding.Finding{f}); len(out) != 1 {
				t.Error("resolution filtered out")
			}
		})
	}
}

func TestFilterDoesNotMutateInput(t *testing.T) {
	in := []finding.Finding{
		filterFinding("a", zenv1.SeverityLow, zenv1.CategorySecurity, "shop"),
		filterFinding("b", zenv1.SeverityHigh, zenv1.CategorySecurity, "shop"),
	}
	s, err := NewFilterStage(config.BehaviorConservative, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if out := s.Exec(context.Background(), in); len(out) != 1 || in[0].DedupKey != "a" || in[1].DedupKey != "b" {
		t.Errorf("out %v, input now %v", keys(out), keys(in))
	}
}

func TestFilterConcurrentUse(t *testing.T) {
	m := NewMetrics(nil)
	s, err := NewFilterStage(config.BehaviorCustom, exampleFilter, m)
	if err != nil {
		t.Fatal(err)
	}
	batch := []finding.Finding{
		filterFinding("a", zenv1.SeverityHigh, zenv1.CategorySecurity, "shop"),
		filterFinding("b", zenv1.SeverityHigh, zenv1.CategorySecurity, "kube-system"),
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				if out := s.Exec(context.Background(), batch); len(out) != 1 {
					t.Errorf("kept %d, want 1", len(out))
				}
			}
		})
	}
	wg.Wait()
	if c := testutil.ToFloat64(m.FindingsFiltered.WithLabelValues("kyverno", reasonFilterExpression)); c != 400 {
		t.Errorf("filtered = %v, want 400", c)
	}
}

func BenchmarkFilterCustom(b *testing.B) {
	s, err := NewFilterStage(config.BehaviorCustom, exampleFilter, nil)
	if err != nil {
		b.Fatal(err)
	}
	f := filterFinding("k", zenv1.SeverityHigh, zenv1.CategorySecurity, "shop")
	f.Details = map[string]any{"policy": "require-labels", "rule": "check-team"}
	batch := []finding.Finding{f}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if len(s.Exec(ctx, batch)) != 1 {
			b.Fatal("filtered")
		}
	}
}
