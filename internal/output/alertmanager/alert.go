package alertmanager

import (
	"fmt"
	"strings"
	"time"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/output"
)

// AlertName is the alertname label of every alert zen-watcher sends.
const AlertName = "ZenWatcherFinding"

// Label names of an alert, besides alertname.
const (
	LabelSeverity     = "severity"      // critical, high, medium, low or info
	LabelSource       = "source"        // the tool: trivy, falco, or a dynamic source
	LabelNamespace    = "namespace"     // the finding's namespace
	LabelEventType    = "eventType"     // vulnerability, runtime-security...
	LabelResourceKind = "resource_kind" // the object the finding concerns, when there is one
	LabelResourceName = "resource_name"
	LabelRule         = "rule"    // the tool's rule, check or CVE, when there is one
	LabelFinding      = "finding" // the ZenAgentEvent's name: one alert per finding
)

// alert is an alert as the v2 API's postableAlert.
type alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt,omitempty"`
	EndsAt       time.Time         `json:"endsAt,omitempty"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// toAlert renders one delivery. A Resolved delivery, or a finding resolved
// by the time it is sent, ends the alert at its resolvedAt.
func toAlert(d output.Delivery, now time.Time) alert {
	e := d.Event
	labels := map[string]string{
		"alertname":    AlertName,
		LabelSeverity:  strings.ToLower(string(e.Spec.Severity)),
		LabelSource:    e.Spec.Source,
		LabelNamespace: e.Namespace,
		LabelEventType: e.Spec.EventType,
		LabelFinding:   e.Name,
	}
	if r := e.Spec.Resource; r != nil {
		labels[LabelResourceKind], labels[LabelResourceName] = r.Kind, r.Name
	}
	if e.Spec.Rule != "" {
		labels[LabelRule] = e.Spec.Rule
	}
	a := alert{Labels: labels, Annotations: map[string]string{"summary": summary(e), "description": description(e)}}
	switch {
	case e.Status.FirstSeen != nil:
		a.StartsAt = e.Status.FirstSeen.Time
	case !e.Spec.DetectedAt.IsZero():
		a.StartsAt = e.Spec.DetectedAt.Time
	}
	if d.Trigger == output.TriggerResolved || e.Status.State == zenv1.StateResolved {
		a.EndsAt = now
		if e.Status.ResolvedAt != nil {
			a.EndsAt = e.Status.ResolvedAt.Time
		}
		if a.EndsAt.Before(a.StartsAt) {
			a.EndsAt = a.StartsAt
		}
	}
	return a
}

// summary is the finding's title, or what it is about when it has none.
func summary(e *zenv1.ZenAgentEvent) string {
	if e.Spec.Title != "" {
		return e.Spec.Title
	}
	return fmt.Sprintf("%s %s finding%s", e.Spec.Source, e.Spec.EventType, on(e))
}

// description says what, where, how often and since when.
func description(e *zenv1.ZenAgentEvent) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s finding from %s%s", e.Spec.Severity, e.Spec.EventType, e.Spec.Source, on(e))
	if e.Spec.Rule != "" {
		fmt.Fprintf(&b, ", rule %s", e.Spec.Rule)
	}
	fmt.Fprintf(&b, ". Seen %d time(s)", max(e.Status.Count, 1))
	if e.Status.FirstSeen != nil {
		fmt.Fprintf(&b, " since %s", e.Status.FirstSeen.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(&b, ". kubectl get zae -n %s %s", e.Namespace, e.Name)
	return b.String()
}

func on(e *zenv1.ZenAgentEvent) string {
	r := e.Spec.Resource
	if r == nil {
		return ""
	}
	if r.Namespace != "" {
		return fmt.Sprintf(" on %s %s/%s", r.Kind, r.Namespace, r.Name)
	}
	return fmt.Sprintf(" on %s %s", r.Kind, r.Name)
}
