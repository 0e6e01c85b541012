package pipeline

import (
	"context"
	"strings"
	"time"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// Resource reference limits, from the CRD schema of ResourceRef.
const (
	maxKindLen       = 63
	maxNamespaceLen  = 63
	maxNameLen       = 253
	maxAPIVersionLen = 253
)

// NormalizeStage makes every finding safe to store: fields that the CRD
// would reject are repaired when the repair keeps the meaning (case, length,
// invalid characters) and the finding is dropped, with a counted reason,
// when it would not (no key, unknown severity). Sources can then stay
// simple, and one hostile payload cannot make the writer fail a whole batch.
type NormalizeStage struct {
	metrics *Metrics
	now     func() time.Time
}

// NewNormalizeStage returns a NormalizeStage that counts into m (nil means
// unregistered collectors) and stamps findings without a time with now (nil
// means time.Now).
func NewNormalizeStage(m *Metrics, now func() time.Time) *NormalizeStage {
	if m == nil {
		m = NewMetrics(nil)
	}
	if now == nil {
		now = time.Now
	}
	return &NormalizeStage{metrics: m, now: now}
}

// Exec returns the normalized copies of the findings it keeps. It writes to
// neither the findings slice nor any map or ResourceRef it points to.
func (s *NormalizeStage) Exec(_ context.Context, findings []finding.Finding) []finding.Finding {
	out := make([]finding.Finding, 0, len(findings))
	for i := range findings {
		f := findings[i]
		if s.normalize(&f) {
			out = append(out, f)
		}
	}
	return out
}

// normalize repairs f in place (f is the stage's own copy) and reports
// whether to keep it; a drop is counted here.
func (s *NormalizeStage) normalize(f *finding.Finding) bool {
	source, cut := sanitizeLabel(f.Source)
	if source == "" {
		s.metrics.FindingsDropped.WithLabelValues(invalidSourceLabel, reasonInvalidSource).Inc()
		return false
	}
	f.Source = source
	if reason := s.validate(f); reason != "" {
		s.metrics.FindingsDropped.WithLabelValues(source, reason).Inc()
		return false
	}
	eventType, cutType := sanitizeLabel(f.EventType)
	if eventType == "" {
		s.metrics.FindingsDropped.WithLabelValues(source, reasonInvalidEventType).Inc()
		return false
	}
	f.EventType = eventType
	key, longKey := finding.StoredKey(f.DedupKey)
	f.DedupKey = key
	if f.DetectedAt.IsZero() {
		f.DetectedAt = s.now()
	}

	rule, cutRule := clampLine(f.Rule, zenv1.MaxRuleLength)
	title, cutTitle := clampLine(f.Title, zenv1.MaxTitleLength)
	f.Rule, f.Title = rule, title

	c := detailsCopier{truncated: cut || cutType || longKey || cutRule || cutTitle}
	f.Details = c.findingDetails(f)
	if c.truncated {
		s.metrics.FindingsTruncated.WithLabelValues(source).Inc()
	}
	return true
}

// findingDetails returns the storable copy of f's details and sets
// f.Resource to its normalized copy; a partial resource ends up in the
// details, under "resource" (or "_resource" when the tool used that key).
func (c *detailsCopier) findingDetails(f *finding.Finding) map[string]any {
	var details map[string]any
	bound := 0
	if f.Details != nil {
		d, n := c.object(f.Details, 0)
		details, bound = d.(map[string]any), n
	}
	if f.Resource != nil {
		var partial map[string]any
		f.Resource, partial = normalizeResource(*f.Resource, &c.truncated)
		if partial != nil {
			if details == nil {
				details, bound = make(map[string]any, 1), 2
			}
			name := "resource"
			if _, taken := details[name]; taken {
				name = "_resource"
			}
			v, n := c.object(partial, 1)
			details[name] = v
			bound += 2 + len(name) + 1 + n + 1
		}
	}
	if details == nil {
		return nil
	}
	return c.fitDetails(details, bound)
}

// validate returns the drop reason for the fields normalize cannot repair,
// or "" when they are fine.
func (s *NormalizeStage) validate(f *finding.Finding) string {
	if strings.TrimSpace(f.DedupKey) == "" {
		return reasonEmptyKey
	}
	switch f.Category {
	case zenv1.CategorySecurity, zenv1.CategoryCompliance:
	default:
		return reasonInvalidCategory
	}
	switch f.Severity {
	case zenv1.SeverityCritical, zenv1.SeverityHigh, zenv1.SeverityMedium, zenv1.SeverityLow, zenv1.SeverityInfo:
	default:
		return reasonInvalidSeverity
	}
	return ""
}

// normalizeResource trims and shortens the fields of r. A reference without
// kind or name would fail CRD validation, so it is returned as nil and its
// fields come back as partial, for details, so nothing the tool said is
// lost; partial is nil when there was nothing to keep.
func normalizeResource(r zenv1.ResourceRef, truncated *bool) (ref *zenv1.ResourceRef, partial map[string]any) {
	fit := func(s string, n int) string {
		v, cut := finding.FitUTF8(strings.TrimSpace(s), n)
		*truncated = *truncated || cut
		return v
	}
	out := zenv1.ResourceRef{
		APIVersion: fit(r.APIVersion, maxAPIVersionLen),
		Kind:       fit(r.Kind, maxKindLen),
		Name:       fit(r.Name, maxNameLen),
		Namespace:  fit(r.Namespace, maxNamespaceLen),
	}
	if out.Kind != "" && out.Name != "" {
		return &out, nil
	}
	if out == (zenv1.ResourceRef{}) {
		return nil, nil
	}
	return nil, map[string]any{
		"apiVersion": out.APIVersion,
		"kind":       out.Kind,
		"name":       out.Name,
		"namespace":  out.Namespace,
	}
}
