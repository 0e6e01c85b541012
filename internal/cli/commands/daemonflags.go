package commands

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/kube-zen/zen-watcher/internal/cli/daemon"
)

// DaemonFlags say how to reach zen-watcher's HTTP server.
type DaemonFlags struct {
	URL            string
	ZenNamespace   string
	Service        string
	TokenFile      string
	HMACSecretFile string
	AdminTokenFile string
	InsecureTLS    bool
	Timeout        time.Duration
}

func (d *DaemonFlags) addFlags(f *pflag.FlagSet) {
	f.StringVar(&d.URL, "url", "", "zen-watcher's URL, e.g. http://127.0.0.1:8080; without it, a port-forward to the Service")
	f.StringVar(&d.ZenNamespace, "zen-namespace", "zen-system", "namespace zen-watcher runs in")
	f.StringVar(&d.Service, "service", "zen-watcher", "name of zen-watcher's Service (and of its leader Lease)")
	f.StringVar(&d.TokenFile, "token-file", "", "file holding the bearer token to send to zen-watcher")
	f.StringVar(&d.AdminTokenFile, "admin-token-file", "", "file holding a Kubernetes token for zen-watcher's admin API (/api/v1/tools); default: the kubeconfig's token")
	f.StringVar(&d.HMACSecretFile, "hmac-secret-file", "", "file holding the HMAC key to sign webhook posts with")
	f.BoolVar(&d.InsecureTLS, "insecure-skip-tls-verify-daemon", false, "do not verify zen-watcher's certificate (a port-forward reaches it as 127.0.0.1)")
	f.DurationVar(&d.Timeout, "daemon-timeout", 30*time.Second, "time limit of each request to zen-watcher")
}

// service is where zen-watcher runs in the cluster.
func (d *DaemonFlags) service() daemon.Service {
	return daemon.Service{Namespace: d.ZenNamespace, Name: d.Service}
}

// client reaches zen-watcher: at --url, else through a port-forward to its
// Service. The returned function closes the forward.
func (o *Options) daemonClient(ctx context.Context) (*daemon.Client, func(), error) {
	d := &o.Daemon
	token, err := readSecret(d.TokenFile)
	if err != nil {
		return nil, nil, err
	}
	key, err := readSecret(d.HMACSecretFile)
	if err != nil {
		return nil, nil, err
	}
	admin, err := readSecret(d.AdminTokenFile)
	if err != nil {
		return nil, nil, err
	}
	if admin == "" {
		if cfg, err := o.restConfig(); err == nil {
			admin = cfg.BearerToken
		}
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if d.InsecureTLS {
		transport.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user asked
	}
	c := &daemon.Client{Token: token, AdminToken: admin, HTTP: &http.Client{Timeout: d.Timeout, Transport: transport}, Now: o.Now}
	if key != "" {
		c.HMACKey = []byte(key)
	}
	if d.URL != "" {
		c.Base = strings.TrimRight(d.URL, "/")
		return c, func() {}, nil
	}
	cfg, err := o.restConfig()
	if err != nil {
		return nil, nil, err
	}
	scheme := "http"
	if d.InsecureTLS {
		scheme = "https"
	}
	base, stop, err := d.service().Forward(ctx, cfg, scheme)
	if err != nil {
		return nil, nil, fmt.Errorf("reaching zen-watcher (pass --url to skip the port-forward): %w", err)
	}
	c.Base = base
	return c, stop, nil
}
