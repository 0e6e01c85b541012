package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/cli-runtime/pkg/printers"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/cli/query"
)

// Options say how to lay a table out.
type Options struct {
	// AllNamespaces adds the NAMESPACE column, as kubectl does with -A.
	AllNamespaces bool
	// Wide adds TITLE, KIND, STATE and LAST-SEEN, the -o wide columns.
	Wide bool
	// NoHeaders leaves the header line out.
	NoHeaders bool
	// Color paints severities; set it from ColorFor.
	Color bool
	// Now is the time ages count from.
	Now time.Time
}

// ColorFor reports whether w should get colours: only a terminal, and only
// when NO_COLOR and TERM=dumb do not say otherwise.
func ColorFor(w io.Writer) bool {
	return printers.AllowsColorOutput(w)
}

// Table writes one row per event, aligned as kubectl aligns its tables.
func Table(w io.Writer, evs []zenv1.ZenAgentEvent, o Options) error {
	tw := printers.GetNewTabWriter(w)
	if !o.NoHeaders {
		h := Headers(o)
		if o.Color {
			// The same invisible bytes as the coloured cells below, so
			// tabwriter gives the header the column's width.
			h[sevColumn(o)] = sevColors[zenv1.SeverityInfo] + h[sevColumn(o)] + "\x1b[0m"
		}
		fmt.Fprintln(tw, strings.Join(h, "\t"))
	}
	for i := range evs {
		fmt.Fprintln(tw, strings.Join(Row(&evs[i], o), "\t"))
	}
	return tw.Flush()
}

// Headers are the column titles of Row under o.
func Headers(o Options) []string {
	h := []string{"NAME", "SOURCE", "SEVERITY", "TYPE", "RULE", "RESOURCE", "COUNT", "STATE", "LAST-SEEN"}
	if o.AllNamespaces {
		h = append([]string{"NAMESPACE"}, h...)
	}
	if o.Wide {
		h = append(h, "KIND", "CATEGORY", "TITLE")
	}
	return h
}

// Row is the cells of one event, in the order of the headers. Cells are
// escaped: a hostile rule or title cannot send terminal control sequences.
func Row(ev *zenv1.ZenAgentEvent, o Options) []string {
	res, kind := "<none>", "<none>"
	if r := ev.Spec.Resource; r != nil {
		res, kind = r.Name, r.Kind
	}
	row := []string{
		ev.Name, ev.Spec.Source, Severity(ev.Spec.Severity, o.Color), ev.Spec.EventType,
		orNone(ev.Spec.Rule), res, strconv.FormatInt(ev.Status.Count, 10), string(query.State(ev)),
		Age(query.LastSeen(ev), o.Now),
	}
	if o.AllNamespaces {
		row = append([]string{ev.Namespace}, row...)
	}
	if o.Wide {
		row = append(row, kind, string(ev.Spec.Category), orNone(ev.Spec.Title))
	}
	for i := range row {
		row[i] = printers.EscapeTerminal(strings.ReplaceAll(row[i], "\t", " "))
	}
	if o.Color {
		row[sevColumn(o)] = Severity(ev.Spec.Severity, true) // escaping would undo the colour
	}
	return row
}

func sevColumn(o Options) int {
	if o.AllNamespaces {
		return 3
	}
	return 2
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// Age is how long before now t was, as kubectl prints ages (5m, 3h2m, 4d).
func Age(t, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(t))
}

// ANSI colours of the severities: bold red for CRITICAL, red for HIGH,
// yellow, cyan, and the default colour for INFO. Every prefix has the same
// length, so tabwriter, which counts escape bytes as width, still aligns
// the column.
var sevColors = map[zenv1.Severity]string{
	zenv1.SeverityCritical: "\x1b[1;31m",
	zenv1.SeverityHigh:     "\x1b[0;31m",
	zenv1.SeverityMedium:   "\x1b[0;33m",
	zenv1.SeverityLow:      "\x1b[0;36m",
	zenv1.SeverityInfo:     "\x1b[0;39m",
}

// Severity is the severity word, coloured when color is set.
func Severity(s zenv1.Severity, color bool) string {
	c, ok := sevColors[s]
	if !color || !ok {
		return string(s)
	}
	return c + string(s) + "\x1b[0m"
}
