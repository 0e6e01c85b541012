package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"

	"github.com/kube-zen/zen-watcher/internal/cli/render"
)

func newTail(o *Options) *cobra.Command {
	var ff filterFlags
	cmd := &cobra.Command{
		Use:   "tail",
		Short: "Print each new or changed finding as it happens, until Ctrl-C",
		Long: `Watch findings and print one line for each that is created (NEW) or
changes (a repeat raises its count, a resolution its state), from now on.
The watch resumes by itself when the API server closes it.`,
		Example: examples(
			"kubectl zen tail -A",
			"kubectl zen tail -A --min-severity HIGH",
			"kubectl zen tail -n shop --source falco"),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.tail(cmd.Context(), &ff)
		},
	}
	ff.add(cmd, false)
	return cmd
}

func (o *Options) tail(ctx context.Context, ff *filterFlags) error {
	f, err := ff.filter(o.Now())
	if err != nil {
		return err
	}
	sel, err := f.Selector()
	if err != nil {
		return err
	}
	selector := sel.String()
	if ff.selector != "" {
		if selector != "" {
			selector += ","
		}
		selector += ff.selector
	}
	dc, err := o.dynamic()
	if err != nil {
		return err
	}
	ns, err := o.namespace()
	if err != nil {
		return err
	}
	ri := dc.Resource(gvr).Namespace(ns)
	// Start from now: list once for the resourceVersion, print nothing of it.
	l, err := ri.List(ctx, metav1.ListOptions{LabelSelector: selector, Limit: 1})
	if err != nil {
		return fmt.Errorf("listing findings: %w", err)
	}
	lw := &cache.ListWatch{WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
		opts.LabelSelector = selector
		return ri.Watch(ctx, opts)
	}}
	w, err := watchtools.NewRetryWatcherWithContext(ctx, l.GetResourceVersion(), lw)
	if err != nil {
		return fmt.Errorf("watching findings: %w", err)
	}
	defer w.Stop()
	out := o.Streams.Out
	opts := render.Options{AllNamespaces: o.AllNamespaces, Color: render.ColorFor(out)}
	header := true
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.ResultChan():
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				return errors.New("the watch ended")
			}
			what := ""
			switch e.Type {
			case watch.Added:
				what = "NEW"
			case watch.Modified:
				what = "CHANGED"
			case watch.Error:
				return fmt.Errorf("watching findings: %v", apiStatus(e.Object))
			default:
				continue
			}
			u, ok := e.Object.(*unstructured.Unstructured)
			if !ok {
				continue
			}
			ev, err := typed(u)
			if err != nil {
				return err
			}
			if !f.Match(&ev) {
				continue
			}
			opts.Now = o.Now()
			tw := printers.GetNewTabWriter(out)
			if header {
				fmt.Fprintln(tw, "EVENT\t"+joinTab(render.Headers(opts)))
				header = false
			}
			fmt.Fprintln(tw, what+"\t"+joinTab(render.Row(&ev, opts)))
			if err := tw.Flush(); err != nil {
				return err
			}
		}
	}
}

func joinTab(cells []string) string {
	return strings.Join(cells, "\t")
}

// apiStatus is the message of a watch error event.
func apiStatus(obj runtime.Object) error {
	return apierrors.FromObject(obj)
}
