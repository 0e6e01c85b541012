package commands

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/cli/query"
	"github.com/kube-zen/zen-watcher/internal/cli/render"
)

// filterFlags are the filters get, summary and tail share.
type filterFlags struct {
	sources, severities          []string
	minSeverity, state, resource string
	rule, selector               string
	since                        time.Duration
}

func (ff *filterFlags) add(cmd *cobra.Command, all bool) {
	f := cmd.Flags()
	f.StringSliceVar(&ff.sources, "source", nil, "only these sources, e.g. trivy,falco")
	f.StringVar(&ff.minSeverity, "min-severity", "", "only findings at or above this severity")
	f.StringVarP(&ff.selector, "selector", "l", "", "label selector, as kubectl's -l")
	if !all {
		return
	}
	f.StringSliceVar(&ff.severities, "severity", nil, "only these severities, e.g. CRITICAL,HIGH")
	f.StringVar(&ff.state, "state", "", "Open or Resolved")
	f.DurationVar(&ff.since, "since", 0, "only findings seen within this long, e.g. 1h")
	f.StringVar(&ff.resource, "resource", "", "only findings about this object: KIND/NAME or NAME")
	f.StringVar(&ff.rule, "rule", "", "only findings of this rule (spec.rule)")
}

func (ff *filterFlags) filter(now time.Time) (*query.Filter, error) {
	f := &query.Filter{Sources: ff.sources, Since: ff.since, Resource: ff.resource, Rule: ff.rule, Now: now}
	for _, s := range ff.severities {
		sev, err := query.ParseSeverity(s)
		if err != nil {
			return nil, err
		}
		f.Severities = append(f.Severities, sev)
	}
	if ff.minSeverity != "" {
		sev, err := query.ParseSeverity(ff.minSeverity)
		if err != nil {
			return nil, err
		}
		f.MinSeverity = sev
	}
	st, err := query.ParseState(ff.state)
	f.State = st
	return f, err
}

type getOptions struct {
	*Options
	filter    filterFlags
	sortBy    string
	noHeaders bool
	print     *genericclioptions.PrintFlags
}

func newGet(o *Options) *cobra.Command {
	g := &getOptions{Options: o, print: genericclioptions.NewPrintFlags("")}
	cmd := &cobra.Command{
		Use:   "get [NAME]",
		Short: "List findings, filtered and sorted",
		Long: `List findings. Filters that have a label (source, severity, rule) are
applied by the API server; the others (state, since, resource) to what it
returns. --sort-by severity orders by rank, CRITICAL first.`,
		Example: examples(
			"kubectl zen get -A --min-severity HIGH --sort-by severity",
			"kubectl zen get --source trivy,kyverno --state Open -o wide",
			"kubectl zen get -A --since 1h --resource Deployment/web",
			"kubectl zen get -A --rule CVE-2021-3121 -o name",
			"kubectl zen get trivy-0a1b2c3d4e5f6a7b -o yaml",
			`kubectl zen get -A -o custom-columns=NAME:.metadata.name,RULE:.spec.rule`,
			`kubectl zen get -A -o jsonpath='{.items[*].spec.title}'`),
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: o.completeNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.run(cmd, args)
		},
	}
	g.filter.add(cmd, true)
	cmd.Flags().StringVar(&g.sortBy, "sort-by", "", "order: "+strings.Join(query.SortOrders, ", "))
	cmd.Flags().BoolVar(&g.noHeaders, "no-headers", false, "leave the header line out of tables")
	g.print.AddFlags(cmd)
	cmd.Flags().Lookup("output").Usage = "output format: wide, json, yaml, name, jsonpath=..., jsonpath-file=..., go-template=..., custom-columns=..."
	return cmd
}

func (g *getOptions) run(cmd *cobra.Command, args []string) error {
	ctx := cmd.Context()
	var (
		items []found
		err   error
	)
	if len(args) == 1 {
		x, err := g.one(ctx, args[0])
		if err != nil {
			return err
		}
		items = []found{x}
	} else {
		f, err := g.filter.filter(g.Now())
		if err != nil {
			return err
		}
		if items, err = g.list(ctx, f, g.filter.selector, g.sortBy); err != nil {
			return err
		}
	}
	out := g.Streams.Out
	format := *g.print.OutputFormat
	switch {
	case format == "" || format == "wide":
		if len(items) == 0 {
			fmt.Fprintln(g.Streams.ErrOut, "No findings found.")
			return nil
		}
		return render.Table(out, events(items), render.Options{
			AllNamespaces: g.AllNamespaces, Wide: format == "wide", NoHeaders: g.noHeaders,
			Color: render.ColorFor(out), Now: g.Now(),
		})
	case strings.HasPrefix(format, "custom-columns="):
		cols, err := render.ParseColumns(strings.TrimPrefix(format, "custom-columns="))
		if err != nil {
			return err
		}
		objs := make([]map[string]any, len(items))
		for i := range items {
			objs[i] = items[i].raw.Object
		}
		return render.Columns(out, cols, objs, g.noHeaders)
	}
	printer, err := g.print.ToPrinter()
	if err != nil {
		return err
	}
	var obj runtime.Object
	if len(args) == 1 {
		obj = items[0].raw
	} else {
		l := &unstructured.UnstructuredList{Object: map[string]any{"apiVersion": "v1", "kind": "List", "metadata": map[string]any{"resourceVersion": ""}}}
		for _, x := range items {
			l.Items = append(l.Items, *x.raw)
		}
		obj = l
	}
	return printer.PrintObj(obj, out)
}

// completeNames completes finding names in the namespace the flags name.
func (o *Options) completeNames(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	items, err := o.list(cmd.Context(), &query.Filter{}, "", "")
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
	}
	var names []string
	for _, x := range items {
		if strings.HasPrefix(x.ev.Name, toComplete) {
			names = append(names, x.ev.Name+"\t"+completionHint(&x.ev))
		}
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

func completionHint(ev *zenv1.ZenAgentEvent) string {
	h := string(ev.Spec.Severity) + " " + ev.Spec.Source
	if ev.Spec.Rule != "" {
		h += " " + ev.Spec.Rule
	}
	return h
}
