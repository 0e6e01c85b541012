package trivy

import (
	"errors"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/fields"
)

// Labels trivy-operator sets on every report to name what it scanned.
const (
	LabelResourceKind      = "trivy-operator.resource.kind"
	LabelResourceName      = "trivy-operator.resource.name"
	LabelResourceNamespace = "trivy-operator.resource.namespace"
	LabelContainerName     = "trivy-operator.container.name"
)

// SourceName is the source label and object name prefix of Trivy findings.
const SourceName = "trivy"

// Event types of Trivy findings.
const (
	EventTypeVulnerability = "vulnerability"
	EventTypeConfigAudit   = "config-audit"
)

// Result is what one report yields.
type Result struct {
	// Findings are in the order of the report's entries.
	Findings []finding.Finding
	// Skipped counts entries at or above the minimum that name no
	// vulnerability or check, so they have no dedup key, and checks with
	// no success member, which are neither passed nor failed.
	Skipped int
	// UnknownSeverity counts entries whose severity word is not on
	// Trivy's scale; they cannot be ranked, so they are not guessed at.
	UnknownSeverity int
	// MissingLabels is set when the report lacks the kind or name label:
	// its findings have no Resource and their keys are built from what is
	// there.
	MissingLabels bool
}

// subject is what every finding of one report shares.
type subject struct {
	dec        *fields.Decoder
	report     fields.Node
	resource   *zenv1.ResourceRef // nil when the labels do not name one
	namespace  string
	kind, name string
	container  string
	detectedAt time.Time
	missing    bool
}

// readSubject reads the report's identity, labels and time, and checks
// that min is on the scale (an unknown minimum would admit everything).
func readSubject(u *unstructured.Unstructured, min zenv1.Severity, now time.Time) (*subject, error) {
	if u == nil || u.Object == nil {
		return nil, source.Errorf(source.ReasonNoPayload, "reading %s report: no object", SourceName)
	}
	if finding.Rank(min) < 0 {
		return nil, errors.New("trivy: minimum severity " + string(min) + " is not on the scale")
	}
	reportKind := u.GetKind()
	s := &subject{dec: fields.NewDecoder(SourceName, reportKind+" "+u.GetNamespace()+"/"+u.GetName())}
	top := fields.Root(u.Object)
	labels := s.dec.Object(s.dec.Object(top, "metadata"), "labels")
	s.kind = s.dec.String(labels, LabelResourceKind)
	s.name = s.dec.String(labels, LabelResourceName)
	s.container = s.dec.String(labels, LabelContainerName)
	s.namespace = s.dec.String(labels, LabelResourceNamespace)
	if s.namespace == "" {
		s.namespace = u.GetNamespace()
	}
	if strings.HasPrefix(reportKind, "Cluster") {
		// Cluster reports describe cluster-scoped objects, whatever a
		// label says.
		s.namespace = ""
	}
	s.report = s.dec.Object(top, "report")
	s.detectedAt = detectedAt(s.dec, s.report, u, now)
	if err := s.dec.Err(); err != nil {
		return nil, err
	}
	if s.kind == "" || s.name == "" {
		s.missing = true
		return s, nil
	}
	s.resource = &zenv1.ResourceRef{APIVersion: ownerAPIVersion(u, s.kind, s.name),
		Kind: s.kind, Name: s.name, Namespace: s.namespace}
	return s, nil
}

// detectedAt is the report's updateTimestamp, else the object's
// creationTimestamp, else now: the time Trivy scanned is the best evidence
// of when a finding was seen, and now the worst.
func detectedAt(d *fields.Decoder, report fields.Node, u *unstructured.Unstructured, now time.Time) time.Time {
	if t, err := time.Parse(time.RFC3339, d.String(report, "updateTimestamp")); err == nil {
		return t
	}
	if t := u.GetCreationTimestamp(); !t.IsZero() {
		return t.Time
	}
	return now
}

// ownerAPIVersion finds the apiVersion of the scanned object among the
// report's owners: trivy-operator makes the scanned object the report's
// controller, and the labels carry no apiVersion.
func ownerAPIVersion(u *unstructured.Unstructured, kind, name string) string {
	for _, o := range u.GetOwnerReferences() {
		if o.Kind == kind && o.Name == name {
			return o.APIVersion
		}
	}
	return ""
}

// keyPrefix starts every dedup key of the report.
func (s *subject) keyPrefix() string {
	return s.namespace + "/" + s.kind + "/" + s.name + "/"
}

// newFinding fills what every finding of the report shares; rule is the
// CVE or check id, title the entry's own title. Each finding
// gets its own Resource: later stages may edit one without touching its
// siblings.
func (s *subject) newFinding(eventType string, sev zenv1.Severity, key, rule, title string, details map[string]any) finding.Finding {
	f := finding.Finding{
		Source:     SourceName,
		Category:   zenv1.CategorySecurity,
		Severity:   sev,
		EventType:  eventType,
		Rule:       rule,
		Title:      title,
		Details:    details,
		DetectedAt: s.detectedAt,
		DedupKey:   key,
	}
	if s.resource != nil {
		ref := *s.resource
		f.Resource = &ref
	}
	return f
}

// severity maps an entry's severity word and tells whether it is at or
// above min; known is false for a word not on Trivy's scale.
func severity(word string, min zenv1.Severity) (sev zenv1.Severity, known, keep bool) {
	sev, known = finding.TrivySeverity.Map(word)
	return sev, known, known && finding.Rank(sev) >= finding.Rank(min)
}

// title is the entry's "title" detail. Trivy leaves it empty for some
// advisories; the package and its version are then the best one line.
func title(details map[string]any) string {
	if t, _ := details["title"].(string); t != "" {
		return t
	}
	pkg, _ := details["package"].(string)
	version, _ := details["installedVersion"].(string)
	return strings.TrimSpace(pkg + " " + version)
}
