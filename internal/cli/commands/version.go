package commands

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kube-zen/zen-watcher/internal/version"
)

func newVersion(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the plugin's and zen-watcher's versions, and whether they match",
		Long: `Print this plugin's version and the running zen-watcher's (from its
zen_watcher_build_info metric), and whether they match. Exits 1 when
zen-watcher cannot be asked.`,
		Example: examples(
			"kubectl zen version",
			"kubectl zen version --url http://127.0.0.1:8080"),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := o.Streams.Out
			fmt.Fprintf(out, "kubectl-zen: %s\n", version.String())
			c, stop, err := o.daemonClient(cmd.Context())
			if err != nil {
				return err
			}
			defer stop()
			v, err := c.Version(cmd.Context())
			if err != nil {
				return fmt.Errorf("asking zen-watcher for its version: %w", err)
			}
			fmt.Fprintf(out, "zen-watcher: %s\n", v)
			if v == version.Version {
				fmt.Fprintln(out, "versions match")
			} else {
				fmt.Fprintln(out, "versions differ: upgrade the one that is older")
			}
			return nil
		},
	}
}
