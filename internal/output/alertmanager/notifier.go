package alertmanager

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/output"
	"github.com/kube-zen/zen-watcher/internal/output/httpsend"
)

// DefaultResendInterval is how often open findings are sent again
// (ALERTMANAGER_RESEND_INTERVAL): well below Alertmanager's default
// resolve_timeout of 5 minutes, so that one missed round does not let an
// alert expire.
const DefaultResendInterval = time.Minute

// requestTimeout bounds one POST; a slow Alertmanager holds only its own
// output.
const requestTimeout = 10 * time.Second

// Notifier posts alerts to one Alertmanager.
type Notifier struct {
	endpoint string
	client   *http.Client
	token    *v1alpha1.SecretKeyRef
	secrets  output.Secrets
	resend   time.Duration
	now      func() time.Time
}

var _ output.Resender = (*Notifier)(nil)

// Builder returns what builds Alertmanager notifiers that send open
// findings again every resend.
func Builder(resend time.Duration) output.Builder {
	return func(ctx context.Context, o *v1alpha1.ZenOutput, secrets output.Secrets) (output.Notifier, error) {
		return New(ctx, o, secrets, resend)
	}
}

// New builds the notifier of an output's spec.alertmanager, reading its
// TLS Secrets now; the bearer token is read at every send (through the
// Secret reader's short cache), so a rotated token applies at once.
func New(ctx context.Context, o *v1alpha1.ZenOutput, secrets output.Secrets, resend time.Duration) (*Notifier, error) {
	spec := o.Spec.Alertmanager
	if spec == nil {
		return nil, errors.New("spec.alertmanager is not set")
	}
	u, err := url.Parse(spec.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("spec.alertmanager.url %q is not an http(s) URL", spec.URL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/api/v2/alerts"
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if spec.TLS != nil {
		cfg, err := tlsConfig(ctx, spec.TLS, secrets)
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = cfg
	}
	if spec.BearerTokenSecretRef != nil {
		if _, err := secrets(ctx, *spec.BearerTokenSecretRef); err != nil {
			return nil, err
		}
	}
	return &Notifier{
		endpoint: u.String(), client: &http.Client{Transport: tr, Timeout: requestTimeout},
		token: spec.BearerTokenSecretRef, secrets: secrets, resend: resend, now: time.Now,
	}, nil
}

// tlsConfig reads the CA and the client certificate the spec names.
func tlsConfig(ctx context.Context, spec *v1alpha1.OutputTLS, secrets output.Secrets) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if spec.CASecretRef != nil {
		pem, err := secrets(ctx, *spec.CASecretRef)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("secret %s key %s holds no PEM certificate", spec.CASecretRef.Name, spec.CASecretRef.Key)
		}
		cfg.RootCAs = pool
	}
	if spec.CertSecretRef != nil && spec.KeySecretRef != nil {
		certPEM, err := secrets(ctx, *spec.CertSecretRef)
		if err != nil {
			return nil, err
		}
		keyPEM, err := secrets(ctx, *spec.KeySecretRef)
		if err != nil {
			return nil, err
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("client certificate from secrets %s and %s: %w", spec.CertSecretRef.Name, spec.KeySecretRef.Name, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// ResendInterval implements output.Resender.
func (n *Notifier) ResendInterval() time.Duration { return n.resend }

// Notify posts the batch as one list of alerts; the answer is classified
// as every HTTP output's is (httpsend): 2xx accepted, 408, 429, 5xx and
// network errors retried, after Retry-After when given, other 4xx refused.
func (n *Notifier) Notify(ctx context.Context, batch []output.Delivery) (bool, error) {
	now := n.now()
	alerts := make([]alert, 0, len(batch))
	for _, d := range batch {
		alerts = append(alerts, toAlert(d, now))
	}
	body, err := json.Marshal(alerts)
	if err != nil {
		return false, fmt.Errorf("encoding alerts: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.endpoint, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("building the request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if n.token != nil {
		tok, err := n.secrets(ctx, *n.token)
		if err != nil {
			return true, fmt.Errorf("reading the bearer token: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	}
	return httpsend.Do(ctx, n.client, req, n.now)
}
