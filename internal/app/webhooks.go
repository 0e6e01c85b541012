package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
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
	tokens    *webhook.Tokens
	tokenFile string
}

// NewWebhooks builds the Falco and audit endpoints. An unreadable token
// file or audit rules file is a configuration error.
func NewWebhooks(cfg config.Config, p webhook.Pipeline, reg prometheus.Registerer, log *slog.Logger) (*Webhooks, error) {
	wc := cfg.Webhooks
	auth, tokens, err := newAuthenticator(wc, log)
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
	}, auth, p, reg, log.With("component", "webhook"))
	return &Webhooks{Intake: intake, tokens: tokens, tokenFile: wc.TokenFile}, nil
}

// newAuthenticator picks the webhooks' authentication: a token, a token
// file, explicitly none, or, when nothing is configured, closed.
func newAuthenticator(wc config.Webhooks, log *slog.Logger) (webhook.Authenticator, *webhook.Tokens, error) {
	switch {
	case wc.Token != "":
		return webhook.NewTokens(webhook.SplitSecrets(string(wc.Token))), nil, nil
	case wc.TokenFile != "":
		tokens, err := webhook.ReadTokens(wc.TokenFile)
		if err != nil {
			return nil, nil, configError("WEBHOOK_TOKEN_FILE", wc.TokenFile, "want a readable file holding the webhook token", err)
		}
		t := webhook.NewTokens(tokens)
		return t, t, nil
	case wc.AuthDisabled:
		log.Warn("webhook authentication is disabled (WEBHOOK_AUTH_DISABLED=true): anyone who reaches the port can submit findings")
		return webhook.Open{}, nil, nil
	}
	log.Info("webhooks refuse every request until WEBHOOK_TOKEN, WEBHOOK_TOKEN_FILE or WEBHOOK_AUTH_DISABLED is set; pull sources are unaffected")
	return webhook.Unconfigured{}, nil, nil
}

// tokenReloadInterval is how often a token file is re-read. The kubelet
// refreshes a mounted Secret within about a minute, so this adds little.
const tokenReloadInterval = 10 * time.Second

// WatchCredentials re-reads the token file, if one is used, until ctx ends.
func (w *Webhooks) WatchCredentials(ctx context.Context, log *slog.Logger) {
	if w.tokens != nil {
		w.tokens.WatchTokenFile(ctx, w.tokenFile, tokenReloadInterval, log)
	}
}

func configError(name, value, want string, err error) error {
	return &config.Error{Problems: []error{&config.VarError{Name: name, Value: value, Allowed: fmt.Sprintf("%s: %v", want, err)}}}
}
