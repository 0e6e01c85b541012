package render

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"k8s.io/cli-runtime/pkg/printers"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/cli/query"
)

// severities in rank order, the summary's columns.
var severities = []zenv1.Severity{zenv1.SeverityCritical, zenv1.SeverityHigh, zenv1.SeverityMedium, zenv1.SeverityLow, zenv1.SeverityInfo}

// Summary counts events: by source and severity, open and resolved, and
// the namespaces and resources with the most open events.
type Summary struct {
	// BySource maps source → severity → events.
	BySource map[string]map[zenv1.Severity]int `json:"bySource"`
	// Open and Resolved count events by state.
	Open     int `json:"open"`
	Resolved int `json:"resolved"`
	// TopNamespaces and TopResources are the busiest, most events first.
	TopNamespaces []Count `json:"topNamespaces"`
	TopResources  []Count `json:"topResources"`
	// Total is the number of events.
	Total int `json:"total"`
}

// Count is a name and how many events it has.
type Count struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// topN is how many namespaces and resources the summary lists.
const topN = 5

// Summarize counts evs.
func Summarize(evs []zenv1.ZenAgentEvent) Summary {
	s := Summary{BySource: map[string]map[zenv1.Severity]int{}, Total: len(evs)}
	ns, res := map[string]int{}, map[string]int{}
	for i := range evs {
		ev := &evs[i]
		if s.BySource[ev.Spec.Source] == nil {
			s.BySource[ev.Spec.Source] = map[zenv1.Severity]int{}
		}
		s.BySource[ev.Spec.Source][ev.Spec.Severity]++
		if query.State(ev) == zenv1.StateResolved {
			s.Resolved++
			continue
		}
		s.Open++
		ns[ev.Namespace]++
		if r := ev.Spec.Resource; r != nil {
			name := r.Kind + "/" + r.Name
			if r.Namespace != "" {
				name = r.Namespace + "/" + name
			}
			res[name]++
		}
	}
	s.TopNamespaces, s.TopResources = top(ns), top(res)
	return s
}

func top(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for k, v := range m {
		out = append(out, Count{k, v})
	}
	slices.SortFunc(out, func(a, b Count) int {
		return cmp.Or(b.Count-a.Count, strings.Compare(a.Name, b.Name))
	})
	return out[:min(len(out), topN)]
}

// PrintSummary writes s as three small tables. It takes no colour: the
// counts under the severities are plain, and coloured headers would
// misalign them.
func PrintSummary(w io.Writer, s Summary) error {
	tw := printers.GetNewTabWriter(w)
	head := []string{"SOURCE"}
	for _, sev := range severities {
		head = append(head, string(sev))
	}
	fmt.Fprintln(tw, strings.Join(append(head, "TOTAL"), "\t"))
	sources := make([]string, 0, len(s.BySource))
	for src := range s.BySource {
		sources = append(sources, src)
	}
	slices.Sort(sources)
	totals := make([]int, len(severities))
	for _, src := range sources {
		row, sum := []string{src}, 0
		for i, sev := range severities {
			n := s.BySource[src][sev]
			row, sum, totals[i] = append(row, strconv.Itoa(n)), sum+n, totals[i]+n
		}
		fmt.Fprintln(tw, strings.Join(append(row, strconv.Itoa(sum)), "\t"))
	}
	row := []string{"TOTAL"}
	for _, n := range totals {
		row = append(row, strconv.Itoa(n))
	}
	fmt.Fprintln(tw, strings.Join(append(row, strconv.Itoa(s.Total)), "\t"))
	fmt.Fprintf(tw, "\nOPEN\t%d\nRESOLVED\t%d\n", s.Open, s.Resolved)
	printTop(tw, "TOP NAMESPACES (open)", s.TopNamespaces)
	printTop(tw, "TOP RESOURCES (open)", s.TopResources)
	return tw.Flush()
}

func printTop(w io.Writer, title string, cs []Count) {
	if len(cs) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s\tEVENTS\n", title)
	for _, c := range cs {
		fmt.Fprintf(w, "%s\t%d\n", printers.EscapeTerminal(c.Name), c.Count)
	}
}
