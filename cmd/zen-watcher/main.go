// Command zen-watcher gathers the findings of a cluster's security tools and
// stores them as ZenAgentEvent resources.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"

	"github.com/kube-zen/zen-watcher/internal/app"
	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/version"
)

// Exit codes: 2 for anything the operator must fix in the configuration.
const (
	exitRuntime = 1
	exitConfig  = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.LookupEnv, os.Stderr))
}

func run(args []string, getenv config.Getenv, stderr io.Writer) int {
	fs := flag.NewFlagSet("zen-watcher", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kubeconfig := fs.String("kubeconfig", "", "path to a kubeconfig; default: $KUBECONFIG, then in-cluster config")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return exitConfig
	}
	if *showVersion {
		fmt.Fprintln(stderr, "zen-watcher", version.String())
		return 0
	}

	cfg, err := config.Load(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "zen-watcher:", err)
		return exitConfig
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	klog.SetSlogLogger(log) // client-go's own logs come out as JSON too

	rc, err := restConfig(*kubeconfig)
	if err != nil {
		log.Error("no Kubernetes connection configured", "error", err.Error())
		return exitConfig
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	err = app.Run(ctx, app.Options{Config: cfg, RESTConfig: rc, Logger: log, Registry: prometheus.NewRegistry()})
	if err != nil {
		log.Error("stopped", "error", err.Error())
		if config.IsConfigError(err) {
			return exitConfig
		}
		return exitRuntime
	}
	log.Info("stopped")
	return 0
}

// restConfig loads, in order: the --kubeconfig flag, $KUBECONFIG,
// ~/.kube/config, then the in-cluster service account.
func restConfig(path string) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = path
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, errors.New("not running in a cluster and no kubeconfig found: pass --kubeconfig or set KUBECONFIG")
		}
		return nil, fmt.Errorf("loading kubeconfig: %w", err)
	}
	return rc, nil
}
