package commands

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/kube-zen/zen-watcher/internal/cli/render"
)

func newSummary(o *Options) *cobra.Command {
	var (
		ff     filterFlags
		output string
	)
	cmd := &cobra.Command{
		Use:   "summary",
		Short: "Count findings by source and severity, open and resolved, and the busiest namespaces and resources",
		Example: examples(
			"kubectl zen summary -A",
			"kubectl zen summary -n shop --min-severity HIGH",
			"kubectl zen summary -A -o json"),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := ff.filter(o.Now())
			if err != nil {
				return err
			}
			items, err := o.list(cmd.Context(), f, ff.selector, "")
			if err != nil {
				return err
			}
			s := render.Summarize(events(items))
			out := o.Streams.Out
			switch output {
			case "":
				return render.PrintSummary(out, s)
			case "json":
				b, err := json.MarshalIndent(s, "", "  ")
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(out, string(b))
				return err
			case "yaml":
				b, err := yaml.Marshal(s)
				if err != nil {
					return err
				}
				_, err = out.Write(b)
				return err
			}
			return fmt.Errorf("unknown output %q: want json or yaml", output)
		},
	}
	ff.add(cmd, true)
	cmd.Flags().StringVarP(&output, "output", "o", "", "json or yaml instead of tables")
	return cmd
}
