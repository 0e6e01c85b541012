package finding

import (
	"strings"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

// SeverityTable maps one tool's severity words onto the normalized scale.
// Matching ignores case and surrounding space. The README documents every
// table; keep the two in step.
type SeverityTable struct {
	tool  string
	words map[string]zenv1.Severity
}

// Map returns the normalized severity of word, and false when the word is
// not in the table, so the caller can count and decide.
func (t SeverityTable) Map(word string) (zenv1.Severity, bool) {
	s, ok := t.words[strings.ToLower(strings.TrimSpace(word))]
	return s, ok
}

// Tool names the tool whose words the table maps.
func (t SeverityTable) Tool() string { return t.tool }

func table(tool string, words map[string]zenv1.Severity) SeverityTable {
	return SeverityTable{tool: tool, words: words}
}

// Per-tool severity tables.
var (
	// TrivySeverity maps Trivy's CRITICAL, HIGH, MEDIUM, LOW and UNKNOWN.
	TrivySeverity = table("trivy", map[string]zenv1.Severity{
		"critical": zenv1.SeverityCritical, "high": zenv1.SeverityHigh, "medium": zenv1.SeverityMedium,
		"low": zenv1.SeverityLow, "unknown": zenv1.SeverityInfo, "none": zenv1.SeverityInfo,
	})
	// KyvernoSeverity maps policy report severities: critical, high, medium, low, info.
	KyvernoSeverity = table("kyverno", map[string]zenv1.Severity{
		"critical": zenv1.SeverityCritical, "high": zenv1.SeverityHigh, "medium": zenv1.SeverityMedium,
		"low": zenv1.SeverityLow, "info": zenv1.SeverityInfo,
	})
	// FalcoPriority maps Falco's syslog-style priorities.
	FalcoPriority = table("falco", map[string]zenv1.Severity{
		"emergency": zenv1.SeverityCritical, "alert": zenv1.SeverityCritical, "critical": zenv1.SeverityCritical,
		"error": zenv1.SeverityHigh, "warning": zenv1.SeverityMedium, "notice": zenv1.SeverityLow,
		"informational": zenv1.SeverityInfo, "info": zenv1.SeverityInfo, "debug": zenv1.SeverityInfo,
	})
	// CheckovSeverity maps Checkov's own severity field, when a check sets it.
	CheckovSeverity = table("checkov", map[string]zenv1.Severity{
		"critical": zenv1.SeverityCritical, "high": zenv1.SeverityHigh, "medium": zenv1.SeverityMedium,
		"low": zenv1.SeverityLow, "info": zenv1.SeverityInfo,
	})
)

// KubeBenchSeverity is HIGH for a scored CIS check and MEDIUM otherwise:
// kube-bench reports no severity of its own.
func KubeBenchSeverity(scored bool) zenv1.Severity {
	if scored {
		return zenv1.SeverityHigh
	}
	return zenv1.SeverityMedium
}

// Rank orders severities: CRITICAL is 4, INFO is 0, anything else -1.
func Rank(s zenv1.Severity) int {
	switch s {
	case zenv1.SeverityCritical:
		return 4
	case zenv1.SeverityHigh:
		return 3
	case zenv1.SeverityMedium:
		return 2
	case zenv1.SeverityLow:
		return 1
	case zenv1.SeverityInfo:
		return 0
	}
	return -1
}
