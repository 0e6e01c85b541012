package query

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func ev(name string, sev zenv1.Severity, count int64, ago time.Duration) zenv1.ZenAgentEvent {
	seen := metav1.NewTime(now.Add(-ago))
	return zenv1.ZenAgentEvent{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
		Spec:       zenv1.ZenAgentEventSpec{Source: "trivy", Severity: sev, Rule: "CVE-1", Resource: &zenv1.ResourceRef{Kind: "Deployment", Name: "web"}},
		Status:     zenv1.ZenAgentEventStatus{Count: count, LastSeen: &seen},
	}
}

func TestSelector(t *testing.T) {
	cases := []struct {
		f    Filter
		want string
	}{
		{Filter{}, ""},
		{Filter{Sources: []string{"trivy", "falco"}}, "source in (falco,trivy)"},
		{Filter{MinSeverity: zenv1.SeverityHigh}, "severity in (CRITICAL,HIGH)"},
		{Filter{Severities: []zenv1.Severity{zenv1.SeverityLow, zenv1.SeverityHigh}, MinSeverity: zenv1.SeverityMedium}, "severity in (HIGH)"},
		{Filter{Rule: "CVE-2021-3121"}, "rule=CVE-2021-3121"},
		{Filter{Rule: "policy/rule"}, ""}, // not a label: matched client-side
	}
	for _, c := range cases {
		sel, err := c.f.Selector()
		if err != nil {
			t.Fatal(err)
		}
		if got := sel.String(); got != c.want {
			t.Errorf("%+v: selector %q; want %q", c.f, got, c.want)
		}
	}
	// Severities and a minimum that exclude each other select nothing,
	// rather than everything.
	f := Filter{Severities: []zenv1.Severity{zenv1.SeverityLow}, MinSeverity: zenv1.SeverityHigh}
	if _, err := f.Selector(); err == nil {
		t.Error("an empty severity set must be an error, not an empty selector")
	}
}

func TestMatch(t *testing.T) {
	e := ev("a", zenv1.SeverityHigh, 1, 2*time.Hour)
	cases := []struct {
		f    Filter
		want bool
	}{
		{Filter{}, true},
		{Filter{State: zenv1.StateOpen}, true},
		{Filter{State: zenv1.StateResolved}, false},
		{Filter{Since: time.Hour, Now: now}, false},
		{Filter{Since: 3 * time.Hour, Now: now}, true},
		{Filter{Resource: "deployment/web"}, true},
		{Filter{Resource: "Pod/web"}, false},
		{Filter{Resource: "web"}, true},
		{Filter{Rule: "CVE-1"}, true},
		{Filter{Rule: "CVE-2"}, false},
		{Filter{MinSeverity: zenv1.SeverityCritical}, false},
		{Filter{Sources: []string{"falco"}}, false},
	}
	for _, c := range cases {
		if got := c.f.Match(&e); got != c.want {
			t.Errorf("%+v: %v; want %v", c.f, got, c.want)
		}
	}
}

func TestSortBySeverityIsByRank(t *testing.T) {
	evs := []zenv1.ZenAgentEvent{
		ev("info", zenv1.SeverityInfo, 5, time.Minute), ev("high", zenv1.SeverityHigh, 1, time.Hour),
		ev("crit", zenv1.SeverityCritical, 2, 3*time.Hour), ev("low", zenv1.SeverityLow, 9, 2*time.Minute), ev("med", zenv1.SeverityMedium, 3, 0),
	}
	for _, c := range []struct{ by, want string }{
		{SortSeverity, "crit high med low info"}, // alphabetically it would start with CRITICAL, HIGH, INFO
		{SortCount, "low info med crit high"},
		{SortLastSeen, "med info low high crit"},
		{"", "crit high info low med"},
	} {
		if err := Sort(evs, c.by); err != nil {
			t.Fatal(err)
		}
		names := make([]string, len(evs))
		for i := range evs {
			names[i] = evs[i].Name
		}
		if got := strings.Join(names, " "); got != c.want {
			t.Errorf("by %q: %s; want %s", c.by, got, c.want)
		}
	}
	if err := Sort(evs, "name"); err == nil {
		t.Error("an unknown order must be an error")
	}
}
