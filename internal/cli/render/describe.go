package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"k8s.io/cli-runtime/pkg/printers"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/cli/query"
)

// SenderAnnotation names who sent a pushed finding; zen-watcher sets it on
// events from authenticated webhooks.
const SenderAnnotation = "zen.kube-zen.io/sender"

// Describe writes every field of ev for a person: the rule and title first,
// then what and where, the counts and times, the labels, and the details
// pretty-printed.
func Describe(w io.Writer, ev *zenv1.ZenAgentEvent, color bool, now time.Time) error {
	var b bytes.Buffer
	field := func(name, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%-12s %s\n", name+":", printers.EscapeTerminal(v))
		}
	}
	field("Rule", orNone(ev.Spec.Rule))
	field("Title", orNone(ev.Spec.Title))
	field("Name", ev.Name)
	field("Namespace", ev.Namespace)
	fmt.Fprintf(&b, "%-12s %s\n", "Severity:", Severity(ev.Spec.Severity, color))
	field("Source", ev.Spec.Source)
	field("Category", string(ev.Spec.Category))
	field("Type", ev.Spec.EventType)
	if r := ev.Spec.Resource; r != nil {
		res := r.Kind + "/" + r.Name
		if r.Namespace != "" {
			res = r.Namespace + "/" + res
		}
		if r.APIVersion != "" {
			res += " (" + r.APIVersion + ")"
		}
		field("Resource", res)
	} else {
		field("Resource", "<none>")
	}
	field("State", string(query.State(ev)))
	fmt.Fprintf(&b, "%-12s %d\n", "Count:", ev.Status.Count)
	field("Detected", stamp(ev.Spec.DetectedAt.Time, now))
	if ev.Status.FirstSeen != nil {
		field("First Seen", stamp(ev.Status.FirstSeen.Time, now))
	}
	if ev.Status.LastSeen != nil {
		field("Last Seen", stamp(ev.Status.LastSeen.Time, now))
	}
	if ev.Status.ResolvedAt != nil {
		field("Resolved", stamp(ev.Status.ResolvedAt.Time, now))
	}
	field("Sender", ev.Annotations[SenderAnnotation])
	field("Dedup Key", ev.Spec.DedupKey)
	field("Created", stamp(ev.CreationTimestamp.Time, now))
	if len(ev.Labels) > 0 {
		keys := make([]string, 0, len(ev.Labels))
		for k, v := range ev.Labels {
			keys = append(keys, k+"="+v)
		}
		slices.Sort(keys)
		field("Labels", strings.Join(keys, "\n             "))
	}
	b.WriteString("Details:")
	if ev.Spec.Details == nil || len(ev.Spec.Details.Raw) == 0 {
		b.WriteString(" <none>\n")
	} else {
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, ev.Spec.Details.Raw, "  ", "  "); err != nil {
			return fmt.Errorf("details of %s/%s are not JSON: %w", ev.Namespace, ev.Name, err)
		}
		b.WriteString("\n  ")
		b.WriteString(printers.EscapeTerminal(pretty.String()))
		b.WriteByte('\n')
	}
	_, err := w.Write(b.Bytes())
	return err
}

func stamp(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339) + " (" + Age(t, now) + " ago)"
}
