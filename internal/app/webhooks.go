package app

import (
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kube-zen/zen-watcher/internal/certname"
	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/filewatch"
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
	watches []filewatch.Reloader // the token and key files in use
	tokens  []*webhook.Tokens    // every endpoint's, for HoldsToken
}

// NewWebhooks builds the Falco and audit endpoints. Unreadable token, key
// or audit rules files are configuration errors, all reported at once.
func NewWebhooks(cfg config.Config, p webhook.Pipeline, reg prometheus.Registerer, log *slog.Logger) (*Webhooks, error) {
	wc := cfg.Webhooks
	files := &fileErrors{}
	falcoCreds, auditCreds := loadCredentials(wc, files, log)
	minPriority, _ := falco.ParsePriority(wc.FalcoMinPriority) // config checked the word
	rules := audit.DefaultRules(wc.AuditTrustedUsers)
	if wc.AuditRulesFile != "" {
		data, err := os.ReadFile(wc.AuditRulesFile)
		if err == nil {
			rules, err = audit.LoadRules(wc.AuditTrustedUsers, data)
		}
		files.add("AUDIT_RULES_FILE", wc.AuditRulesFile, "want a readable YAML file of audit rules", err)
	}
	if err := files.err(); err != nil {
		return nil, err
	}
	if falcoCreds.hmac != nil || auditCreds.hmac != nil {
		// One cache for every endpoint: a signature does not cover the
		// path, so a nonce used on one must be a replay on the other.
		nonces := webhook.NewNonceCache(wc.HMACMaxNonces)
		for _, c := range []*credentials{falcoCreds, auditCreds} {
			if c.hmac != nil {
				c.hmac.UseNonces(nonces)
			}
		}
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "zen_watcher_webhook_hmac_nonces",
			Help: "Nonces of signed webhook requests remembered against replay; at HMAC_MAX_NONCES, signed requests get 503.",
		}, func() float64 { return float64(nonces.Len()) }))
	}
	auditParser := audit.NewParser(rules)
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "zen_watcher_audit_rule_errors_total",
		Help: "Custom audit rule evaluations that failed, each counted as no match.",
	}, func() float64 { return float64(auditParser.EvalErrors()) }))
	intake := webhook.New([]webhook.Endpoint{
		{Name: "falco", Path: FalcoPath, MediaTypes: falcoMediaTypes, MaxBodyBytes: wc.FalcoMaxBodyBytes,
			BufferSize: cfg.FalcoBufferSize, Parser: falco.NewParser(minPriority), Auth: falcoCreds.authenticator(wc.FalcoAuth),
			WaitStored: wc.FalcoAck == config.AckStored, StoredTimeout: config.AckStoredTimeout},
		{Name: "audit", Path: AuditPath, MediaTypes: auditMediaTypes, MaxBodyBytes: wc.AuditMaxBodyBytes,
			BufferSize: cfg.AuditBufferSize, Parser: auditParser, Auth: auditCreds.authenticator(wc.AuditAuth),
			WaitStored: wc.AuditAck == config.AckStored, StoredTimeout: config.AckStoredTimeout},
	}, webhook.Options{
		IdempotencyTTL: wc.IdempotencyTTL,
		ClientLimit:    webhook.NewLimiter(wc.RateLimitRPS, wc.RateLimitBurst, time.Now),
		IdentityLimit:  webhook.NewLimiter(wc.RateLimitRPS, wc.RateLimitBurst, time.Now),
		Clients:        webhook.ClientAddress{Trusted: wc.TrustedProxies},
		Inflight:       webhook.NewBudget(wc.MaxInflightBytes),
	}, p, reg, log.With("component", "webhook"))
	w := &Webhooks{Intake: intake, watches: files.watches}
	for _, c := range []*credentials{falcoCreds, auditCreds} {
		if c.tokens != nil {
			w.tokens = append(w.tokens, c.tokens)
		}
	}
	return w, nil
}

// HoldsToken reports whether token opens a webhook, so that the admin API
// refuses it without sending it to a TokenReview.
func (w *Webhooks) HoldsToken(token string) bool {
	held := false
	for _, t := range w.tokens {
		held = t.Holds(token) || held // every set, so timing does not tell which
	}
	return held
}

// credentials are the authentication methods one endpoint accepts.
type credentials struct {
	disabled bool
	tokens   *webhook.Tokens
	hmac     *webhook.HMAC
	cert     *webhook.ClientCert
}

// loadCredentials builds each endpoint's credentials: the shared ones
// (WEBHOOK_TOKEN, HMAC_SECRET, TLS_CLIENT_ALLOWED_NAMES) and its own
// (FALCO_…, AUDIT_…). A credential of one endpoint is never accepted on
// the other. Files are re-read while serving, and a shared file updates
// both endpoints.
func loadCredentials(wc config.Webhooks, files *fileErrors, log *slog.Logger) (falcoCreds, auditCreds *credentials) {
	if wc.AuthDisabled {
		log.Warn("webhook authentication is disabled (WEBHOOK_AUTH_DISABLED=true): anyone who reaches the port can submit findings")
		return &credentials{disabled: true}, &credentials{disabled: true}
	}
	falcoCreds, auditCreds = &credentials{}, &credentials{}
	tokens := newUnion(files.secrets("WEBHOOK_TOKEN_FILE", "webhook token", wc.Token, wc.TokenFile),
		[2]secretSource{files.secrets("FALCO_WEBHOOK_TOKEN_FILE", "Falco webhook token", wc.Falco.Token, wc.Falco.TokenFile),
			files.secrets("AUDIT_WEBHOOK_TOKEN_FILE", "audit webhook token", wc.Audit.Token, wc.Audit.TokenFile)})
	keys := newUnion(files.secrets("HMAC_SECRET_FILE", "HMAC key", wc.HMACSecret, wc.HMACSecretFile),
		[2]secretSource{files.secrets("FALCO_HMAC_SECRET_FILE", "Falco HMAC key", wc.Falco.HMACSecret, wc.Falco.HMACSecretFile),
			files.secrets("AUDIT_HMAC_SECRET_FILE", "audit HMAC key", wc.Audit.HMACSecret, wc.Audit.HMACSecretFile)})
	for i, c := range []*credentials{falcoCreds, auditCreds} {
		if accepted := tokens.endpoint(i); accepted != nil {
			c.tokens = webhook.NewTokens(accepted)
			tokens.sets[i] = c.tokens.Set
		}
		if accepted := keys.endpoint(i); accepted != nil {
			c.hmac = webhook.NewHMAC(accepted, wc.HMACMaxSkew, time.Now)
			keys.sets[i] = c.hmac.SetKeys
		}
	}
	files.watches = append(files.watches, tokens.watches()...)
	files.watches = append(files.watches, keys.watches()...)
	if wc.TLSClientCAFile != "" {
		for c, own := range map[*credentials][]string{falcoCreds: wc.Falco.AllowedNames, auditCreds: wc.Audit.AllowedNames} {
			c.cert = &webhook.ClientCert{}
			if names := append(slices.Clone(wc.TLSClientAllowedNames), own...); len(names) > 0 {
				c.cert.Allowed, _ = certname.Parse(strings.Join(names, ",")) // config checked each list
			}
		}
	}
	if falcoCreds.none() && auditCreds.none() {
		log.Info("webhooks refuse every request until WEBHOOK_TOKEN(_FILE), HMAC_SECRET(_FILE), their FALCO_ and AUDIT_ variants, TLS_CLIENT_CA_FILE or WEBHOOK_AUTH_DISABLED is set; pull sources are unaffected")
	}
	return falcoCreds, auditCreds
}

func (c *credentials) none() bool { return c.tokens == nil && c.hmac == nil && c.cert == nil }

// authenticator accepts the methods named (token, hmac, mtls), or every
// configured one when none are named.
func (c *credentials) authenticator(methods []string) webhook.Authenticator {
	switch {
	case c.disabled:
		return webhook.Open{}
	case c.none():
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

// Files are the token and key files in use, for a filewatch.Watcher to
// keep current.
func (w *Webhooks) Files() []filewatch.Reloader { return w.watches }

func configError(name, value, want string, err error) error {
	return &config.Error{Problems: []error{&config.VarError{Name: name, Value: value, Allowed: fmt.Sprintf("%s: %v", want, err)}}}
}
