package config

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Webhooks configures the push intake: Falco alerts and API server audit
// events.
type Webhooks struct {
	// Token, when set, is the bearer token webhook senders must present.
	// It is a Secret so that printing the configuration never shows it.
	Token Secret
	// TokenFile names a file holding the token (one per line, for
	// rotation); it is re-read while the daemon runs.
	TokenFile string
	// AuthDisabled opens the webhooks to anyone who can reach the port.
	AuthDisabled bool
	// HMACSecret, when set, holds the keys (comma- or line-separated, raw
	// bytes) that sign requests; HMACSecretFile names a file of them,
	// re-read while the daemon runs.
	HMACSecret     Secret
	HMACSecretFile string
	// HMACMaxSkew is how far a signed request's timestamp may be from now.
	HMACMaxSkew time.Duration
	// HMACMaxNonces bounds the nonces remembered against replay.
	HMACMaxNonces int
	// IdempotencyTTL is how long the answer to a request that carried an
	// X-Request-Id is remembered.
	IdempotencyTTL time.Duration
	// RateLimitRPS and RateLimitBurst bound each client address, and each
	// authenticated identity per endpoint; zero RPS turns limiting off.
	RateLimitRPS   float64
	RateLimitBurst int
	// TrustedProxies are the networks whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// TLSCertFile and TLSKeyFile, when set, make the server speak HTTPS;
	// TLSClientCAFile makes it verify client certificates against a CA.
	TLSCertFile, TLSKeyFile, TLSClientCAFile string
	// FalcoAuth and AuditAuth are the methods each webhook accepts, drawn
	// from token, hmac and mtls; empty means every method configured.
	FalcoAuth, AuditAuth []string
	// FalcoMinPriority is the lowest Falco priority kept, as Falco spells it.
	FalcoMinPriority string
	// FalcoMaxBodyBytes and AuditMaxBodyBytes bound a request body, after
	// decompression.
	FalcoMaxBodyBytes int64
	AuditMaxBodyBytes int64
	// MaxInflightBytes bounds the body bytes being read or decoded across
	// every request at once.
	MaxInflightBytes int64
	// AuditTrustedUsers are the users whose secret reads are routine; a
	// trailing * matches any suffix.
	AuditTrustedUsers []string
	// AuditRulesFile names a YAML file of extra audit rules in CEL.
	AuditRulesFile string
}

// Secret is a configuration value that must not be shown: it formats as
// "[redacted]" when set.
type Secret string

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString keeps %#v from showing the value either.
func (s Secret) GoString() string { return s.String() }

// falcoPriorities are Falco's priority words, highest first.
var falcoPriorities = []string{"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"}

// defaultTrustedUsers are the control plane's own identities, whose secret
// reads are routine.
var defaultTrustedUsers = []string{
	"system:kube-controller-manager", "system:kube-scheduler", "system:apiserver",
	"system:node:*", "system:serviceaccount:kube-system:*",
}

func loadWebhooks(r *reader) Webhooks {
	w := Webhooks{
		Token:             Secret(r.secret("WEBHOOK_TOKEN", 4096)),
		TokenFile:         r.text("WEBHOOK_TOKEN_FILE", "", 4096),
		AuthDisabled:      r.boolean("WEBHOOK_AUTH_DISABLED", false),
		HMACSecret:        Secret(r.secret("HMAC_SECRET", 4096)),
		HMACSecretFile:    r.text("HMAC_SECRET_FILE", "", 4096),
		HMACMaxSkew:       r.duration("HMAC_MAX_SKEW", 5*time.Minute, time.Second, time.Hour),
		HMACMaxNonces:     r.integer("HMAC_MAX_NONCES", 2_000_000, 1_000, 100_000_000),
		IdempotencyTTL:    r.duration("IDEMPOTENCY_TTL", 24*time.Hour, time.Minute, 7*24*time.Hour),
		RateLimitRPS:      r.float("RATE_LIMIT_RPS", 1000, 0, 1_000_000),
		RateLimitBurst:    r.integer("RATE_LIMIT_BURST", 2000, 1, 10_000_000),
		TrustedProxies:    r.prefixes("TRUSTED_PROXY_CIDRS"),
		TLSCertFile:       r.text("TLS_CERT_FILE", "", 4096),
		TLSKeyFile:        r.text("TLS_KEY_FILE", "", 4096),
		TLSClientCAFile:   r.text("TLS_CLIENT_CA_FILE", "", 4096),
		FalcoAuth:         lower(r.subset("FALCO_WEBHOOK_AUTH", nil, "TOKEN", "HMAC", "MTLS")),
		AuditAuth:         lower(r.subset("AUDIT_WEBHOOK_AUTH", nil, "TOKEN", "HMAC", "MTLS")),
		FalcoMinPriority:  r.word("FALCO_MIN_PRIORITY", "Warning", falcoPriorities...),
		FalcoMaxBodyBytes: r.bytes("FALCO_MAX_BODY_BYTES", 1<<20, 1<<10, 1<<30),
		AuditMaxBodyBytes: r.bytes("AUDIT_MAX_BODY_BYTES", 16<<20, 1<<10, 1<<30),
		MaxInflightBytes:  r.bytes("MAX_INFLIGHT_BYTES", 64<<20, 1<<20, 64<<30),
		AuditTrustedUsers: r.userPatterns("AUDIT_TRUSTED_USERS", defaultTrustedUsers),
		AuditRulesFile:    r.text("AUDIT_RULES_FILE", "", 4096),
	}
	if largest := max(w.FalcoMaxBodyBytes, w.AuditMaxBodyBytes); w.MaxInflightBytes < largest {
		r.fail("MAX_INFLIGHT_BYTES", strconv.FormatInt(w.MaxInflightBytes, 10),
			"want at least the largest body limit, FALCO_MAX_BODY_BYTES or AUDIT_MAX_BODY_BYTES ("+strconv.FormatInt(largest, 10)+"), or such a body is never taken")
	}
	switch {
	case w.Token != "" && strings.Trim(string(w.Token), ", \t\r\n") == "":
		r.fail("WEBHOOK_TOKEN", "[redacted]", "holds no token: want one or more tokens, comma- or line-separated")
	case w.Token != "" && w.TokenFile != "":
		r.fail("WEBHOOK_TOKEN_FILE", w.TokenFile, "set either WEBHOOK_TOKEN or WEBHOOK_TOKEN_FILE, not both")
	case w.HMACSecret != "" && strings.Trim(string(w.HMACSecret), ", \t\r\n") == "":
		r.fail("HMAC_SECRET", "[redacted]", "holds no key: want one or more keys, comma- or line-separated")
	case w.HMACSecret != "" && w.HMACSecretFile != "":
		r.fail("HMAC_SECRET_FILE", w.HMACSecretFile, "set either HMAC_SECRET or HMAC_SECRET_FILE, not both")
	case w.AuthDisabled && (w.Token != "" || w.TokenFile != "" || w.HMACSecret != "" || w.HMACSecretFile != "" || w.TLSClientCAFile != ""):
		r.fail("WEBHOOK_AUTH_DISABLED", "true", "contradicts the webhook token, HMAC key or client CA that is also set; unset one of them")
	case w.TLSCertFile != "" && w.TLSKeyFile == "":
		r.fail("TLS_CERT_FILE", w.TLSCertFile, "set both TLS_CERT_FILE and TLS_KEY_FILE, or neither")
	case w.TLSKeyFile != "" && w.TLSCertFile == "":
		r.fail("TLS_KEY_FILE", w.TLSKeyFile, "set both TLS_CERT_FILE and TLS_KEY_FILE, or neither")
	case w.TLSClientCAFile != "" && w.TLSCertFile == "":
		r.fail("TLS_CLIENT_CA_FILE", w.TLSClientCAFile, "client certificates need TLS: set TLS_CERT_FILE and TLS_KEY_FILE too")
	}
	configured := map[string]bool{"token": w.Token != "" || w.TokenFile != "", "hmac": w.HMACSecret != "" || w.HMACSecretFile != "", "mtls": w.TLSClientCAFile != ""}
	for name, methods := range map[string][]string{"FALCO_WEBHOOK_AUTH": w.FalcoAuth, "AUDIT_WEBHOOK_AUTH": w.AuditAuth} {
		for _, m := range methods {
			if !configured[m] {
				r.fail(name, strings.Join(methods, ","), m+" is not configured: set "+map[string]string{
					"token": "WEBHOOK_TOKEN or WEBHOOK_TOKEN_FILE", "hmac": "HMAC_SECRET or HMAC_SECRET_FILE", "mtls": "TLS_CLIENT_CA_FILE"}[m])
			}
		}
	}
	return w
}

// userPatterns accepts a comma-separated list of user names, each of which
// may end in * to match any suffix.
func (r *reader) userPatterns(name string, def []string) []string {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	var out []string
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" || strings.Contains(strings.TrimSuffix(item, "*"), "*") {
			r.fail(name, v, "want a comma-separated list of user names; * is allowed only at the end of one, e.g. system:node:*")
			return def
		}
		out = append(out, item)
	}
	return out
}

// prefixes accepts a comma-separated list of CIDRs, such as
// 10.0.0.0/8,fd00::/8; a bare address is a single-address network.
func (r *reader) prefixes(name string) []netip.Prefix {
	v, ok := r.lookup(name)
	if !ok {
		return nil
	}
	var out []netip.Prefix
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		p, err := netip.ParsePrefix(item)
		if err != nil {
			a, aerr := netip.ParseAddr(item)
			if aerr != nil {
				r.fail(name, v, "want a comma-separated list of CIDRs, e.g. 10.0.0.0/8,fd00::/8")
				return nil
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out
}
