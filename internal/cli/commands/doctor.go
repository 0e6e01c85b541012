package commands

import (
	"github.com/spf13/cobra"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	"k8s.io/client-go/kubernetes"

	"github.com/kube-zen/zen-watcher/internal/cli/doctor"
)

func newDoctor(o *Options) *cobra.Command {
	var webhook string
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the installation, one ✔ or ✘ line per check with the fix; exit 0 only if all pass",
		Long: `Check, in order: the ZenAgentEvent CRD is installed and at the version
this plugin expects; zen-watcher's pods run and are ready; who holds the
leader Lease (when leader election is on); zen-watcher is ready; the tools
it detected; the webhook answers and takes your credentials; you can list
findings. The exit status is 0 only when every check passes.`,
		Example: examples(
			"kubectl zen doctor",
			"kubectl zen doctor --zen-namespace security --token-file token",
			"kubectl zen doctor --url http://127.0.0.1:8080 -n shop"),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, err := o.restConfig()
			if err != nil {
				return err
			}
			kube, err := kubernetes.NewForConfig(cfg)
			if err != nil {
				return err
			}
			ext, err := apiextclient.NewForConfig(cfg)
			if err != nil {
				return err
			}
			ns, err := o.namespace()
			if err != nil {
				return err
			}
			env := &doctor.Env{Kube: kube, APIExt: ext, Service: o.Daemon.service(), Namespace: ns, Webhook: webhookPaths[webhook],
				CRDFix: "kubectl apply -f config/crd/ (or install the Helm chart, which carries the CRD)"}
			if env.Webhook == "" {
				env.Webhook = webhookPaths["falco"]
			}
			c, stop, err := o.daemonClient(ctx)
			if err != nil {
				env.DaemonErr = err
			} else {
				defer stop()
				env.Daemon = c
			}
			if !doctor.Run(ctx, o.Streams.Out, doctor.Checks(env)) {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&webhook, "webhook", "falco", "the webhook to probe: falco or audit")
	return cmd
}
