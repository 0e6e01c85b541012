package audit

import (
	"slices"
	"strings"
	"time"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// finding builds the finding of an event that rule r was chosen for;
// matched names every rule that matched.
//
// The dedup key is the audit ID, and SingleOccurrence is set: the
// ResponseStarted and ResponseComplete events of one long request (an
// exec, a watch) share the ID, and a retried batch repeats it, so the
// aggregator counts the request once.
//
// Details never include requestObject or responseObject: a secret's
// body is its data.
func (st *parse) finding(e *event, r *Rule, matched []string) finding.Finding {
	details := make(map[string]any, 16)
	details["auditID"] = e.auditID
	details["stage"] = e.stage
	details["verb"] = e.verb
	details["rule"] = r.Name
	details["rules"] = matched
	setText(details, "user", e.user.username)
	if len(e.user.groups) > 0 {
		details["groups"] = slices.Clone(e.user.groups)
	}
	if e.hasObjectRef {
		details["objectRef"] = objectRefDetails(&e.objectRef)
	}
	setText(details, "requestURI", e.requestURI)
	if len(e.sourceIPs) > 0 {
		details["sourceIPs"] = slices.Clone(e.sourceIPs)
	}
	setText(details, "userAgent", e.userAgent)
	if e.code != 0 {
		details["responseCode"] = int(e.code)
	}
	setText(details, "decision", e.decision)
	setText(details, "decisionReason", e.decisionReason)
	setText(details, "impersonatedUser", e.impersonated.username)
	if st.x.podKnown {
		if risks := st.x.podRisks.names(); len(risks) > 0 {
			details["podRisks"] = risks
		}
	}
	return finding.Finding{
		Source:           SourceName,
		Category:         zenv1.CategoryCompliance,
		Severity:         r.Severity,
		EventType:        r.EventType,
		Rule:             r.Name,
		Title:            title(e),
		Resource:         resourceRef(e),
		Details:          details,
		DetectedAt:       detectedAt(e, st.now),
		DedupKey:         e.auditID,
		SingleOccurrence: true,
	}
}

// setText sets a string detail, leaving empty values out.
func setText(details map[string]any, key, v string) {
	if v != "" {
		details[key] = v
	}
}

func objectRefDetails(r *objectRef) map[string]any {
	m := make(map[string]any, 6)
	setText(m, "resource", r.resource)
	setText(m, "namespace", r.namespace)
	setText(m, "name", r.name)
	setText(m, "apiGroup", r.apiGroup)
	setText(m, "apiVersion", r.apiVersion)
	setText(m, "subresource", r.subresource)
	return m
}

// detectedAt is when the event happened: its stage's time, else when the
// request was received, else the 2018 events' "timestamp", else now. A
// time that is not RFC 3339 is passed over, not refused: it must not cost
// the finding.
func detectedAt(e *event, now time.Time) time.Time {
	for _, ts := range [3]string{e.stageTime, e.requestReceived, e.timestamp} {
		if len(ts) == 0 {
			continue
		}
		if t, err := time.Parse(time.RFC3339Nano, ts); err == nil && t.Year() >= 1 {
			return t.UTC()
		}
	}
	return now
}

// title says who did what to which object, e.g. "alice create
// pods/exec default/web": the rule names the kind of event, the title
// this occurrence. Parts the event lacks are left out; an event with none
// (a non-resource request) is named by its URI.
func title(e *event) string {
	parts := make([]string, 0, 4)
	user := e.user.username
	if user == "" {
		user = "unknown user"
	}
	parts = append(parts, user)
	if e.verb != "" {
		parts = append(parts, e.verb)
	}
	if !e.hasObjectRef || e.objectRef.resource == "" {
		if e.requestURI != "" {
			parts = append(parts, e.requestURI)
		}
		return strings.Join(parts, " ")
	}
	r := &e.objectRef
	res := r.resource
	if r.apiGroup != "" {
		res += "." + r.apiGroup
	}
	if r.subresource != "" {
		res += "/" + r.subresource
	}
	parts = append(parts, res)
	switch {
	case r.namespace != "" && r.name != "":
		parts = append(parts, r.namespace+"/"+r.name)
	case r.name != "":
		parts = append(parts, r.name)
	case r.namespace != "":
		parts = append(parts, "in "+r.namespace)
	}
	return strings.Join(parts, " ")
}
