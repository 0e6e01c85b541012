package falco

import (
	"fmt"
	"strings"

	"github.com/kube-zen/zen-watcher/internal/source"
)

// alert is one Falco alert as http_output and falcosidekick send it;
// other members are ignored. The JSON library decodes it (see decode.go).
type alert struct {
	Output   string `json:"output"`
	Priority string `json:"priority"`
	Rule     string `json:"rule"`
	Time     string `json:"time"`
	Source   string `json:"source"`
	Hostname string `json:"hostname"`
	// UUID is set by falcosidekick.
	UUID string  `json:"uuid"`
	Tags tagList `json:"tags"`
	// Fields decodes output_fields into OutputFields, cleaned (see
	// readFields); that becomes the details' "fields", nil when nothing
	// is left.
	Fields       fieldsMember   `json:"output_fields"`
	OutputFields map[string]any `json:"-"`
}

// internal tells Falco's own events, such as the metrics snapshot.
func (a *alert) internal() bool {
	return a.Source == "internal"
}

// check returns why a well-typed alert cannot become a finding, or nil,
// with its priority.
func (a *alert) check() (Priority, *source.ItemError) {
	if strings.TrimSpace(a.Rule) == "" {
		return 0, &source.ItemError{Pointer: "/rule", Reason: source.ReasonMissingField,
			Detail: `The alert has no "rule"; Falco always names the rule that fired.`}
	}
	if strings.TrimSpace(a.Priority) == "" {
		return 0, &source.ItemError{Pointer: "/priority", Reason: source.ReasonMissingField,
			Detail: `The alert has no "priority"; Falco always sends one, such as "Warning".`}
	}
	p, ok := ParsePriority(a.Priority)
	if !ok {
		return 0, &source.ItemError{Pointer: "/priority", Reason: source.ReasonUnknownValue,
			Detail: fmt.Sprintf("Priority %q is not a Falco priority; want one of %s.", clip(a.Priority), PriorityWords)}
	}
	return p, nil
}

// clip shortens a value quoted in a message: a hostile sender must not
// make the response as large as its request.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
