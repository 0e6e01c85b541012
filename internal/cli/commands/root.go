package commands

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/kube-zen/zen-watcher/internal/version"
)

// Options are the flags and clients every command shares.
type Options struct {
	Config        *genericclioptions.ConfigFlags
	Streams       genericiooptions.IOStreams
	AllNamespaces bool
	Daemon        DaemonFlags
	// Now is the clock ages and --since count from.
	Now func() time.Time
}

// NewRoot returns the kubectl zen command tree writing to streams.
func NewRoot(streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{
		Config:  genericclioptions.NewConfigFlags(true),
		Streams: streams,
		Now:     time.Now,
	}
	root := &cobra.Command{
		Use:   "kubectl-zen",
		Short: "Read and triage zen-watcher findings (ZenAgentEvents)",
		Long: `kubectl zen reads the findings zen-watcher stores as ZenAgentEvents:
list and filter them, count them, describe one, follow new ones, send a test
alert to the webhooks, and check that the installation is healthy.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl zen"},
	}
	flags := root.PersistentFlags()
	o.Config.AddFlags(flags)
	flags.BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "across all namespaces")
	o.Daemon.addFlags(flags)
	root.AddCommand(newGet(o), newSummary(o), newDescribe(o), newTail(o), newSend(o), newDoctor(o), newVersion(o))
	return root
}

// Execute runs the plugin with os.Args and returns the exit code.
func Execute(ctx context.Context, streams genericiooptions.IOStreams) int {
	root := NewRoot(streams)
	if err := root.ExecuteContext(ctx); err != nil {
		if ex := (*exitError)(nil); errors.As(err, &ex) {
			return ex.code
		}
		fmt.Fprintln(streams.ErrOut, "error:", err)
		return 1
	}
	return 0
}

// exitError ends the command with a code and no further message: the
// command has printed its own report (doctor's failed checks).
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func (o *Options) restConfig() (*rest.Config, error) {
	cfg, err := o.Config.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("loading kubeconfig: %w", err)
	}
	cfg.UserAgent = "kubectl-zen/" + version.Version
	return cfg, nil
}

func (o *Options) dynamic() (dynamic.Interface, error) {
	cfg, err := o.restConfig()
	if err != nil {
		return nil, err
	}
	return dynamic.NewForConfig(cfg)
}

// namespace is the namespace to read, "" with -A.
func (o *Options) namespace() (string, error) {
	if o.AllNamespaces {
		return "", nil
	}
	ns, _, err := o.Config.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", fmt.Errorf("finding the namespace: %w", err)
	}
	return ns, nil
}

// examples indents example lines as cobra prints them.
func examples(lines ...string) string {
	return "  " + strings.Join(lines, "\n  ")
}

// readSecret reads the first of the comma- or line-separated values in a
// file, as zen-watcher reads its WEBHOOK_TOKEN_FILE and HMAC_SECRET_FILE.
func readSecret(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	for _, v := range strings.FieldsFunc(string(b), func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if v = strings.TrimSpace(v); v != "" {
			return v, nil
		}
	}
	return "", fmt.Errorf("%s holds no value", path)
}
