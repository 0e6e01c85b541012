package checkov

import (
	"encoding/json"

	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/jsonerr"
)

// Report is the failed checks of one checkov run, over all its frameworks.
type Report struct {
	// Checks holds every failed check that names its check id, in the
	// order checkov printed them.
	Checks []FailedCheck
	// Skipped counts failed checks dropped because they had no check_id:
	// with no id there is no dedup key. It is not checkov's own
	// skipped_checks (suppressed checks), which are never read.
	Skipped int
}

// FailedCheck is one entry of results.failed_checks.
type FailedCheck struct {
	CheckID   string
	CheckName string
	Guideline string
	FilePath  string
	// FileLineRange is [first, last] line of the resource in FilePath.
	FileLineRange []int
	// Resource is checkov's resource id as printed: Kind.namespace.name
	// for Kubernetes manifests, a file path for a Dockerfile, a Terraform
	// address for Terraform, and so on.
	Resource string
	// Severity is checkov's own severity, empty when the check sets none
	// (open-source runs print null for most checks).
	Severity string
	// Framework is the check_type of the block the check came from, e.g.
	// "kubernetes"; empty when the block did not say.
	Framework string
}

// block is one framework's output. checkov_version is read only to
// recognise the bare summary printed when nothing ran.
type block struct {
	CheckType      string          `json:"check_type"`
	Results        *results        `json:"results"`
	CheckovVersion json.RawMessage `json:"checkov_version"`
}

// known tells a checkov block from some other JSON object.
func (b *block) known() bool {
	return b.Results != nil || b.CheckType != "" || b.CheckovVersion != nil
}

type results struct {
	FailedChecks []failedCheck `json:"failed_checks"`
}

// failedCheck mirrors the members of checkov's Record that findings need.
type failedCheck struct {
	CheckID       string `json:"check_id"`
	CheckName     string `json:"check_name"`
	Guideline     string `json:"guideline"`
	FilePath      string `json:"file_path"`
	FileLineRange []int  `json:"file_line_range"`
	Resource      string `json:"resource"`
	Severity      string `json:"severity"`
}

// Parse decodes checkov JSON output: one framework object, an array of
// them, or the bare summary of a run in which nothing was checked. Every
// error is a *source.ParseError.
func Parse(data []byte) (Report, error) {
	var blocks []block
	switch jsonerr.FirstByte(data) {
	case '{':
		var b block
		if err := json.Unmarshal(data, &b); err != nil {
			return Report{}, jsonerr.Explain(SourceName, err)
		}
		blocks = []block{b}
	case '[':
		if err := json.Unmarshal(data, &blocks); err != nil {
			return Report{}, jsonerr.Explain(SourceName, err)
		}
	default:
		return Report{}, jsonerr.TopLevel(SourceName, data, "a framework object or an array of them")
	}
	for i := range blocks {
		if !blocks[i].known() {
			return Report{}, source.Errorf(source.ReasonUnknownShape,
				"parsing checkov JSON: framework block %d has neither check_type nor results", i)
		}
	}
	return flatten(blocks), nil
}

func flatten(blocks []block) Report {
	n := 0
	for _, b := range blocks {
		if b.Results != nil {
			n += len(b.Results.FailedChecks)
		}
	}
	r := Report{Checks: make([]FailedCheck, 0, n)}
	for _, b := range blocks {
		if b.Results == nil {
			continue
		}
		for _, c := range b.Results.FailedChecks {
			if c.CheckID == "" {
				r.Skipped++
				continue
			}
			r.Checks = append(r.Checks, FailedCheck{
				CheckID:       c.CheckID,
				CheckName:     c.CheckName,
				Guideline:     c.Guideline,
				FilePath:      c.FilePath,
				FileLineRange: c.FileLineRange,
				Resource:      c.Resource,
				Severity:      c.Severity,
				Framework:     b.CheckType,
			})
		}
	}
	return r
}
