package commands

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kube-zen/zen-watcher/internal/cli/render"
)

func newDescribe(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "describe NAME...",
		Short: "Show every field of findings: rule and title first, details pretty-printed",
		Example: examples(
			"kubectl zen describe trivy-0a1b2c3d4e5f6a7b",
			"kubectl zen describe -n shop kyverno-1a2b3c4d5e6f7a8b falco-9f8e7d6c5b4a3f2e"),
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: o.completeNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			out := o.Streams.Out
			for i, name := range args {
				x, err := o.one(cmd.Context(), name)
				if err != nil {
					return err
				}
				if i > 0 {
					fmt.Fprintln(out)
				}
				if err := render.Describe(out, &x.ev, render.ColorFor(out), o.Now()); err != nil {
					return err
				}
			}
			return nil
		},
	}
}
