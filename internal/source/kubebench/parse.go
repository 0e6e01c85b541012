package kubebench

import (
	"encoding/json"

	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/jsonerr"
)

// Report is what one kube-bench run says, flattened to one entry per check.
type Report struct {
	// Results holds every check result that names its test, in the order
	// kube-bench printed them.
	Results []Result
	// Skipped counts results dropped because they had no test_number: with
	// no test number there is no dedup key, so the caller should count
	// them rather than invent one.
	Skipped int
}

// Result is one entry of Controls[].tests[].results[] with the context of
// the control and the section it came from.
type Result struct {
	// Version is the CIS benchmark version of the control, its "version"
	// member (e.g. "1.6" or "cis-1.6"). It is not "detected_version": that
	// member is the Kubernetes version kube-bench detected on the node
	// (kube-bench PR #869), which changes on every cluster upgrade while
	// the check itself stays the same.
	Version string
	// DetectedVersion is the Kubernetes version kube-bench detected, empty
	// when the run does not report it (none of the fixtures do).
	DetectedVersion string
	// NodeType is the control's node_type: master, etcd, controlplane,
	// node, policies or managedservices.
	NodeType string
	// Section is the id of the group of checks, e.g. "1.1".
	Section        string
	TestNumber     string
	TestDesc       string
	Status         string
	Remediation    string
	Audit          string
	ActualValue    string
	ExpectedResult string
	// Scored tells whether the check counts towards the CIS score.
	Scored bool
}

// document is the default object shape. Only Controls decides the shape:
// Totals repeats what the results already say.
type document struct {
	Controls *[]control `json:"Controls"`
}

// control, group and check mirror the members of kube-bench's check.Controls,
// check.Group and check.Check that findings need; the rest is ignored.
type control struct {
	Version         string  `json:"version"`
	DetectedVersion string  `json:"detected_version"`
	NodeType        string  `json:"node_type"`
	Tests           []group `json:"tests"`
}

type group struct {
	Section string  `json:"section"`
	Results []check `json:"results"`
}

type check struct {
	TestNumber     string `json:"test_number"`
	TestDesc       string `json:"test_desc"`
	Audit          string `json:"audit"`
	Remediation    string `json:"remediation"`
	Status         string `json:"status"`
	ActualValue    string `json:"actual_value"`
	Scored         bool   `json:"scored"`
	ExpectedResult string `json:"expected_result"`
}

// Parse decodes kube-bench JSON output in either of its two shapes. An
// empty list of controls is a valid report with no results. Every error is
// a *source.ParseError.
func Parse(data []byte) (Report, error) {
	var controls []control
	switch jsonerr.FirstByte(data) {
	case '{':
		// Controls starts out pointing at controls, so one decoding pass
		// tells the three cases apart: a missing member leaves the pointer
		// alone and controls nil; null (a run with no controls) sets the
		// pointer to nil; an array, even [], fills controls non-nil.
		doc := document{Controls: &controls}
		if err := json.Unmarshal(data, &doc); err != nil {
			return Report{}, jsonerr.Explain(SourceName, err)
		}
		switch {
		case doc.Controls == nil:
			// null, last: a valid run with nothing in it.
			controls = nil
		case doc.Controls == &controls && controls == nil:
			return Report{}, source.Errorf(source.ReasonUnknownShape,
				"parsing kube-bench JSON: object has no Controls member")
		default:
			// A repeated key may have left a new slice behind the pointer.
			controls = *doc.Controls
		}
	case '[':
		if err := json.Unmarshal(data, &controls); err != nil {
			return Report{}, jsonerr.Explain(SourceName, err)
		}
	default:
		return Report{}, jsonerr.TopLevel(SourceName, data, "an object with Controls or an array of controls")
	}
	return flatten(controls), nil
}

// flatten copies each check result out with the context of its control and
// section, counting the results that cannot be identified.
func flatten(controls []control) Report {
	n := 0
	for _, c := range controls {
		for _, g := range c.Tests {
			n += len(g.Results)
		}
	}
	r := Report{Results: make([]Result, 0, n)}
	for _, c := range controls {
		for _, g := range c.Tests {
			for _, k := range g.Results {
				if k.TestNumber == "" {
					r.Skipped++
					continue
				}
				r.Results = append(r.Results, Result{
					Version:         c.Version,
					DetectedVersion: c.DetectedVersion,
					NodeType:        c.NodeType,
					Section:         g.Section,
					TestNumber:      k.TestNumber,
					TestDesc:        k.TestDesc,
					Status:          k.Status,
					Remediation:     k.Remediation,
					Audit:           k.Audit,
					ActualValue:     k.ActualValue,
					ExpectedResult:  k.ExpectedResult,
					Scored:          k.Scored,
				})
			}
		}
	}
	return r
}
