package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/source/audit"
	"github.com/kube-zen/zen-watcher/internal/source/falco"
	"github.com/kube-zen/zen-watcher/internal/webhook"
)

// Webhook paths.
const (
	FalcoPath = "/falco/webhook"
	AuditPath = "/audit/webhook"
)

// Media types the webhooks read: Falco sends JSON, one alert per request,
// or NDJSON; the API server sends JSON.
var (
	falcoMediaTypes = []string{"application/json", "application/x-ndjson", "application/ndjson", "application/jsonl"}
	auditMediaTypes = []string{"application/json"}
)

// Webhooks is the push intake with what keeps its credentials current.
type Webhooks struct {
	*webhook.Intake
	watches []secretFile
}

// secretFile is a file of secrets re-read while serving.
type secretFile struct {
	path, what string
	set        func([]string)
}

// NewWebhooks builds the Falco and audit endpoints. An unreadable token
// file or audit rules file is a configuration error.
func NewWebhooks(cfg config.Config, p webhook.Pipeline, reg prometheus.Registerer, log *slog.Logger) (*Webhooks, error) {
	wc := cfg.Webhooks
	creds, err := loadCredentials(wc, log)
	if err != nil {
		return nil, err
	}
	if creds.hmac != nil {
		// One cache for every endpoint: a signature does not cover the
		// path, so a nonce used on one must be a replay on the other.
		nonces := webhook.NewNonceCache(wc.HMACMaxNonces)
		creds.hmac.UseNonces(nonces)
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "zen_watcher_webhook_hmac_nonces",
			Help: "Nonces of signed webhook requests remembered against replay; at HMAC_MAX_NONCES, signed requests get 503.",
		}, func() float64 { return float64(nonces.Len()) }))
	}
	minPriority, _ := falco.ParsePriority(wc.FalcoMinPriority) // config checked the word
	rules := audit.DefaultRules(wc.AuditTrustedUsers)
	if wc.AuditRulesFile != "" {
		data, err := os.ReadFile(wc.AuditRulesFile)
		if err == nil {
			rules, err = audit.LoadRules(wc.AuditTrustedUsers, data)
		}
		if err != nil {
			return nil, configError("AUDIT_RULES_FILE", wc.AuditRulesFile, "want a readable YAML file of audit rules", err)
		}
	}
	auditParser := audit.NewParser(rules)
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "zen_watcher_audit_rule_errors_total",
		Help: "Custom audit rule evaluations that failed, each counted as no match.",
	}, func() float64 { return float64(auditParser.EvalErrors()) }))
	intake := webhook.New([]webhook.Endpoint{
		{Name: "falco", Path: FalcoPath, MediaTypes: falcoMediaTypes, MaxBodyBytes: wc.FalcoMaxBodyBytes,
			BufferSize: cfg.FalcoBufferSize, Parser: falco.NewParser(minPriority), Auth: creds.authenticator(wc.FalcoAuth)},
		{Name: "audit", Path: AuditPath, MediaTypes: auditMediaTypes, MaxBodyBytes: wc.AuditMaxBodyBytes,
			BufferSize: cfg.AuditBufferSize, Parser: auditParser, Auth: creds.authenticator(wc.AuditAuth)},
	}, webhook.Options{
		IdempotencyTTL: wc.IdempotencyTTL,
		ClientLimit:    webhook.NewLimiter(wc.RateLimitRPS, wc.RateLimitBurst, time.Now),
		IdentityLimit:  webhook.NewLimiter(wc.RateLimitRPS, wc.RateLimitBurst, time.Now),
		Clients:        webhook.ClientAddress{Trusted: wc.TrustedProxies},
		Inflight:       webhook.NewBudget(wc.MaxInflightBytes),
	}, p, reg, log.With("component", "webhook"))
	return &Webhooks{Intake: intake, watches: creds.watches}, nil
}

// credentials are the authentication methods configured, and the secret
// files to watch.
type credentials struct {
	disabled bool
	tokens   *webhook.Tokens
	hmac     *webhook.HMAC
	cert     *webhook.ClientCert
	watches  []secretFile
}

// loadCredentials reads the configured tokens, HMAC keys and client CA
// setting; an unreadable file is a configuration error.
func loadCredentials(wc config.Webhooks, log *slog.Logger) (*credentials, error) {
	c := &credentials{disabled: wc.AuthDisabled}
	if wc.AuthDisabled {
		log.Warn("webhook authentication is disabled (WEBHOOK_AUTH_DISABLED=true): anyone who reaches the port can submit findings")
		return c, nil
	}
	switch {
	case wc.Token != "":
		c.tokens = webhook.NewTokens(webhook.SplitSecrets(string(wc.Token)))
	case wc.TokenFile != "":
		t, err := webhook.ReadSecrets(wc.TokenFile, "webhook token")
		if err != nil {
			return nil, configError("WEBHOOK_TOKEN_FILE", wc.TokenFile, "want a readable file holding the webhook token", err)
		}
		c.tokens = webhook.NewTokens(t)
		c.watches = append(c.watches, secretFile{wc.TokenFile, "webhook token", c.tokens.Set})
	}
	switch {
	case wc.HMACSecret != "":
		c.hmac = webhook.NewHMAC(webhook.SplitSecrets(string(wc.HMACSecret)), wc.HMACMaxSkew, time.Now)
	case wc.HMACSecretFile != "":
		keys, err := webhook.ReadSecrets(wc.HMACSecretFile, "HMAC key")
		if err != nil {
			return nil, configError("HMAC_SECRET_FILE", wc.HMACSecretFile, "want a readable file holding the HMAC keys", err)
		}
		c.hmac = webhook.NewHMAC(keys, wc.HMACMaxSkew, time.Now)
		c.watches = append(c.watches, secretFile{wc.HMACSecretFile, "HMAC key", c.hmac.SetKeys})
	}
	if wc.TLSClientCAFile != "" {
		c.cert = &webhook.ClientCert{}
	}
	if c.tokens == nil && c.hmac == nil && c.cert == nil {
		log.Info("webhooks refuse every request until WEBHOOK_TOKEN(_FILE), HMAC_SECRET(_FILE), TLS_CLIENT_CA_FILE or WEBHOOK_AUTH_DISABLED is set; pull sources are unaffected")
	}
	return c, nil
}

// authenticator accepts the methods named (token, hmac, mtls), or every
// configured one when none are named.
func (c *credentials) authenticator(methods []string) webhook.Authenticator {
	switch {
	case c.disabled:
		return webhook.Open{}
	case c.tokens == nil && c.hmac == nil && c.cert == nil:
		return webhook.Unconfigured{}
	}
	var a webhook.AnyOf
	want := func(m string) bool { return len(methods) == 0 || slices.Contains(methods, m) }
	if want("token") {
		a.Tokens = c.tokens
	}
	if want("hmac") {
		a.HMAC = c.hmac
	}
	if want("mtls") {
		a.Cert = c.cert
	}
	return a
}

// secretReloadInterval is how often a token or key file is re-read. The kubelet
// refreshes a mounted Secret within about a minute, so this adds little.
const secretReloadInterval = 10 * time.Second

// WatchCredentials re-reads the token and key files in use until ctx ends.
func (w *Webhooks) WatchCredentials(ctx context.Context, log *slog.Logger) {
	var wg sync.WaitGroup
	for _, f := range w.watches {
		wg.Go(func() { webhook.WatchSecrets(ctx, f.path, f.what, secretReloadInterval, f.set, log) })
	}
	wg.Wait()
}

func configError(name, value, want string, err error) error {
	return &config.Error{Problems: []error{&config.VarError{Name: name, Value: value, Allowed: fmt.Sprintf("%s: %v", want, err)}}}
}
