package finding

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

func TestObjectNameIsStableAndValid(t *testing.T) {
	// A golden value: changing the scheme would re-create every stored
	// event under a new name, so it must never change by accident.
	if got := ObjectName("trivy", "default/Deployment/nginx/nginx/CVE-2026-0001", 0); got != "trivy-"+KeyHash("trivy", "default/Deployment/nginx/nginx/CVE-2026-0001") {
		t.Fatalf("generation 0 must be named by the key hash: %s", got)
	}
	names := map[string]string{}
	for _, c := range []struct {
		source, key string
		gen         int
	}{
		{"trivy", "a", 0}, {"trivy", "a", 1}, {"trivy", "a", 2}, {"kyverno", "a", 0}, {"trivy", "b", 0},
		{"trivy", strings.Repeat("k", 1024), 0}, {"falco", "ünïcode/键", 0},
	} {
		n := ObjectName(c.source, c.key, c.gen)
		if n != ObjectName(c.source, c.key, c.gen) {
			t.Errorf("%v: not deterministic", c)
		}
		if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 {
			t.Errorf("%q is not a valid object name: %v", n, errs)
		}
		if prev, dup := names[n]; dup {
			t.Errorf("%v and %s share the name %s", c, prev, n)
		}
		names[n] = c.source + "/" + c.key
	}
}

func TestKeyHashSeparatesSourceFromKey(t *testing.T) {
	if KeyHash("ab", "c") == KeyHash("a", "bc") {
		t.Error("source and key must not run together")
	}
	if got := KeyHash("trivy", "x"); len(got) != 16 {
		t.Errorf("hash %q should be 16 hex digits", got)
	}
}

func TestSeverityTables(t *testing.T) {
	cases := []struct {
		table SeverityTable
		word  string
		want  zenv1.Severity
		ok    bool
	}{
		{TrivySeverity, "CRITICAL", zenv1.SeverityCritical, true},
		{TrivySeverity, "HIGH", zenv1.SeverityHigh, true},
		{TrivySeverity, "MEDIUM", zenv1.SeverityMedium, true},
		{TrivySeverity, "LOW", zenv1.SeverityLow, true},
		{TrivySeverity, "UNKNOWN", zenv1.SeverityInfo, true},
		{TrivySeverity, "SEVERE", "", false},
		{KyvernoSeverity, "critical", zenv1.SeverityCritical, true},
		{KyvernoSeverity, "high", zenv1.SeverityHigh, true},
		{KyvernoSeverity, " medium ", zenv1.SeverityMedium, true},
		{KyvernoSeverity, "low", zenv1.SeverityLow, true},
		{KyvernoSeverity, "info", zenv1.SeverityInfo, true},
		{KyvernoSeverity, "", "", false},
		{FalcoPriority, "Emergency", zenv1.SeverityCritical, true},
		{FalcoPriority, "Alert", zenv1.SeverityCritical, true},
		{FalcoPriority, "Critical", zenv1.SeverityCritical, true},
		{FalcoPriority, "Error", zenv1.SeverityHigh, true},
		{FalcoPriority, "Warning", zenv1.SeverityMedium, true},
		{FalcoPriority, "Notice", zenv1.SeverityLow, true},
		{FalcoPriority, "Informational", zenv1.SeverityInfo, true},
		{FalcoPriority, "Debug", zenv1.SeverityInfo, true},
		{FalcoPriority, "Loud", "", false},
		{CheckovSeverity, "HIGH", zenv1.SeverityHigh, true},
	}
	for _, c := range cases {
		got, ok := c.table.Map(c.word)
		if got != c.want || ok != c.ok {
			t.Errorf("%s.Map(%q) = %q, %v; want %q, %v", c.table.Tool(), c.word, got, ok, c.want, c.ok)
		}
	}
	if KubeBenchSeverity(true) != zenv1.SeverityHigh || KubeBenchSeverity(false) != zenv1.SeverityMedium {
		t.Error("kube-bench: scored is HIGH, unscored MEDIUM")
	}
	if Rank(zenv1.SeverityCritical) <= Rank(zenv1.SeverityHigh) || Rank(zenv1.SeverityInfo) != 0 || Rank("bogus") != -1 {
		t.Error("Rank order wrong")
	}
}
