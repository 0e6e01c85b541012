package kyverno

import (
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/fields"
)

// Identity of policy report findings.
const (
	// SourceName is the source label and object name prefix.
	SourceName = "kyverno"
	// EventType is the event type of every policy report finding.
	EventType = "policy-violation"
)

// Result is what one report yields.
type Result struct {
	// Findings are in the order of the report's results, and of each
	// result's resources.
	Findings []finding.Finding
	// NoResource counts selected results that name no object: no usable
	// scope and no resources, or one resources entry without a kind or a
	// name. Such a result has no dedup key, so it is counted, not guessed.
	NoResource int
	// UnknownSeverity counts selected results whose severity is not on the
	// policy report scale; they are read as MEDIUM, the default.
	UnknownSeverity int
}

// Findings builds one finding per result whose outcome (pass, fail, warn,
// error, skip) is in results, compared without regard to case or
// surrounding space: ["fail"], or ["fail", "warn", "error"] when
// KYVERNO_RESULTS asks for more. The object comes from the report's scope,
// or, in the older and CLI shape without a scope, from each entry of the
// result's resources, one finding per entry. The dedup key is
// namespace/kind/name/policy/rule. An absent or empty results list is a
// clean report, not an error.
func Findings(u *unstructured.Unstructured, results []string, now time.Time) (Result, error) {
	if u == nil || u.Object == nil {
		return Result{}, source.Errorf(source.ReasonNoPayload, "reading %s report: no object", SourceName)
	}
	d := fields.NewDecoder(SourceName, u.GetKind()+" "+u.GetNamespace()+"/"+u.GetName())
	top := fields.Root(u.Object)
	scope, scoped := readRef(d, d.Object(top, "scope"))
	if scope.Namespace == "" {
		// A PolicyReport's scope lives in the report's namespace; a
		// cluster report has none.
		scope.Namespace = u.GetNamespace()
	}
	entries := d.List(top, "results")
	if err := d.Err(); err != nil {
		return Result{}, err
	}
	var r Result
	for i, e := range entries {
		x := readResult(d, d.Element("results", i, e), now)
		if err := d.Err(); err != nil {
			return Result{}, err
		}
		if !selected(x.outcome, results) {
			continue
		}
		sev, known := finding.KyvernoSeverity.Map(x.severity)
		switch {
		case x.severity == "":
			sev = zenv1.SeverityMedium
		case !known:
			sev = zenv1.SeverityMedium
			r.UnknownSeverity++
		}
		if scoped {
			r.Findings = append(r.Findings, x.finding(scope, sev))
			continue
		}
		if len(x.resources) == 0 {
			r.NoResource++
		}
		for _, ref := range x.resources {
			if ref.Kind == "" || ref.Name == "" {
				r.NoResource++
				continue
			}
			r.Findings = append(r.Findings, x.finding(ref, sev))
		}
	}
	return r, nil
}

// selected tells whether outcome is one of results.
func selected(outcome string, results []string) bool {
	outcome = strings.TrimSpace(outcome)
	for _, want := range results {
		if strings.EqualFold(outcome, strings.TrimSpace(want)) {
			return true
		}
	}
	return false
}
