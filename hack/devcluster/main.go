// Command devcluster runs a program against a local control plane: it starts
// kube-apiserver and etcd from bin/k8s through envtest, installs the CRDs,
// writes a kubeconfig, runs the program with KUBECONFIG pointing at it, and
// stops everything when the program exits or on Ctrl-C.
//
//	devcluster [-dir .run] [-crds config/crd] -- program [args…]
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

func main() {
	os.Exit(run())
}

func run() int {
	dir := flag.String("dir", ".run", "folder for etcd data and the kubeconfig (kept between runs)")
	crds := flag.String("crds", "config/crd", "comma-separated folders of CRDs to install")
	assets := flag.String("assets", "bin/k8s", "folder holding kube-apiserver, etcd and kubectl")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: devcluster [flags] -- program [args…]")
		return 2
	}
	if err := serve(*dir, *assets, strings.Split(*crds, ","), flag.Args()); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "devcluster:", err)
		return 1
	}
	return 0
}

func serve(dir, assets string, crdDirs, argv []string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "etcd"), 0o700); err != nil {
		return fmt.Errorf("creating data folder: %w", err)
	}
	ctrllog.SetLogger(logr.FromSlogHandler(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     crdDirs,
		ErrorIfCRDPathMissing: true,
	}
	env.ControlPlane.Etcd = &envtest.Etcd{DataDir: filepath.Join(dir, "etcd")}
	fmt.Fprintln(os.Stderr, "devcluster: starting kube-apiserver and etcd from", assets)
	if _, err := env.Start(); err != nil {
		return fmt.Errorf("starting the control plane: %w", err)
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "devcluster: stopping the control plane:", err)
		}
	}()

	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, env.KubeConfig, 0o600); err != nil {
		return fmt.Errorf("writing kubeconfig: %w", err)
	}
	kubectl := filepath.Join(assets, "kubectl")
	fmt.Fprintf(os.Stderr, "devcluster: control plane up at %s\n", env.Config.Host)
	fmt.Fprintf(os.Stderr, "devcluster: kubeconfig: %s\n", kubeconfig)
	fmt.Fprintf(os.Stderr, "devcluster: watch events with: %s --kubeconfig %s get zae -A -w\n", kubectl, kubeconfig)

	childEnv := []string{"KUBECONFIG=" + kubeconfig}
	if os.Getenv("METRICS_AUTH") == "" {
		// The local control plane runs no controller-manager, so it has no
		// ServiceAccount to scrape with: open /metrics to curl.
		childEnv = append(childEnv, "METRICS_AUTH=none")
		fmt.Fprintln(os.Stderr, "devcluster: METRICS_AUTH=none: /metrics is open on this local run")
	}
	if webhookAuthUnset() {
		tokenFile, err := webhookToken(dir)
		if err != nil {
			return err
		}
		childEnv = append(childEnv, "WEBHOOK_TOKEN_FILE="+tokenFile)
		fmt.Fprintf(os.Stderr, "devcluster: webhook token (for make demo and curl): %s\n", tokenFile)
	}
	// One local replica behind no Service: nothing to wait for at Ctrl-C.
	if os.Getenv("SHUTDOWN_DELAY") == "" {
		childEnv = append(childEnv, "SHUTDOWN_DELAY=0")
	}
	return runChild(argv, childEnv...)
}

// webhookAuthUnset reports whether the caller left webhook authentication
// to us.
func webhookAuthUnset() bool {
	for _, name := range []string{"WEBHOOK_TOKEN", "WEBHOOK_TOKEN_FILE", "WEBHOOK_AUTH_DISABLED"} {
		if os.Getenv(name) != "" {
			return false
		}
	}
	return true
}

// webhookToken returns the path of the local run's webhook token, made at
// random the first time, so the local webhooks are authenticated as in a
// cluster and the demo can still post to them.
func webhookToken(dir string) (string, error) {
	path := filepath.Join(dir, "webhook-token")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(raw)+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("writing the webhook token: %w", err)
	}
	return path, nil
}

// runChild runs argv in the foreground and passes Ctrl-C and SIGTERM on to
// it, so the child shuts down gracefully before the control plane stops.
func runChild(argv []string, extraEnv ...string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), extraEnv...)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", argv[0], err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		_ = cmd.Process.Signal(syscall.SIGTERM)
		err := <-done
		var exit *exec.ExitError
		if errors.As(err, &exit) && !exit.Exited() {
			return nil // ended by the signal we passed on
		}
		return err
	}
}
