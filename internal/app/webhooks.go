package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
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
	auth, watches, err := newAuthenticator(wc, log)
	if err != nil {
		return nil, err
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
			BufferSize: cfg.FalcoBufferSize, Parser: falco.NewParser(minPriority)},
		{Name: "audit", Path: AuditPath, MediaTypes: auditMediaTypes, MaxBodyBytes: wc.AuditMaxBodyBytes,
			BufferSize: cfg.AuditBufferSize, Parser: auditParser},
	}, webhook.Options{
		Auth: auth, IdempotencyTTL: wc.IdempotencyTTL,
		ClientLimit:   webhook.NewLimiter(wc.RateLimitRPS, wc.RateLimitBurst, time.Now),
		IdentityLimit: webhook.NewLimiter(wc.RateLimitRPS, wc.RateLimitBurst, time.Now),
		Clients:       webhook.ClientAddress{Trusted: wc.TrustedProxies},
	}, p, reg, log.With("component", "webhook"))
	return &Webhooks{Intake: intake, watches: watches}, nil
}

// newAuthenticator picks the webhooks' authentication: bearer tokens, HMAC
// signatures, either of the two when both are set, explicitly none, or,
// when nothing is configured, closed. It returns the secret files to
// watch.
func newAuthenticator(wc config.Webhooks, log *slog.Logger) (webhook.Authenticator, []secretFile, error) {
	if wc.AuthDisabled {
		log.Warn("webhook authentication is disabled (WEBHOOK_AUTH_DISABLED=true): anyone who reaches the port can submit findings")
		return webhook.Open{}, nil, nil
	}
	var watches []secretFile
	var tokens *webhook.Tokens
	switch {
	case wc.Token != "":
		tokens = webhook.NewTokens(webhook.SplitSecrets(string(wc.Token)))
	case wc.TokenFile != "":
		t, err := webhook.ReadSecrets(wc.TokenFile, "webhook token")
		if err != nil {
			return nil, nil, configError("WEBHOOK_TOKEN_FILE", wc.TokenFile, "want a readable file holding the webhook token", err)
		}
		tokens = webhook.NewTokens(t)
		watches = append(watches, secretFile{wc.TokenFile, "webhook token", tokens.Set})
	}
	var signed *webhook.HMAC
	switch {
	case wc.HMACSecret != "":
		signed = webhook.NewHMAC(webhook.SplitSecrets(string(wc.HMACSecret)), wc.HMACMaxSkew, time.Now)
	case wc.HMACSecretFile != "":
		keys, err := webhook.ReadSecrets(wc.HMACSecretFile, "HMAC key")
		if err != nil {
			return nil, nil, configError("HMAC_SECRET_FILE", wc.HMACSecretFile, "want a readable file holding the HMAC keys", err)
		}
		signed = webhook.NewHMAC(keys, wc.HMACMaxSkew, time.Now)
		watches = append(watches, secretFile{wc.HMACSecretFile, "HMAC key", signed.SetKeys})
	}
	switch {
	case tokens != nil && signed != nil:
		return webhook.TokenOrHMAC{Tokens: tokens, HMAC: signed}, watches, nil
	case tokens != nil:
		return tokens, watches, nil
	case signed != nil:
		return signed, watches, nil
	}
	log.Info("webhooks refuse every request until WEBHOOK_TOKEN(_FILE), HMAC_SECRET(_FILE) or WEBHOOK_AUTH_DISABLED is set; pull sources are unaffected")
	return webhook.Unconfigured{}, nil, nil
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
