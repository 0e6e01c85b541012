package config

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kube-zen/zen-watcher/internal/certname"
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
	// TLSClientAllowedNames, when set, are the client certificate names
	// both webhooks accept (package certname); unset, any certificate the
	// CA signed is accepted.
	TLSClientAllowedNames []string
	// FalcoAuth and AuditAuth are the methods each webhook accepts, drawn
	// from token, hmac and mtls; empty means every method configured.
	FalcoAuth, AuditAuth []string
	// Falco and Audit are the credentials only that webhook accepts, beside
	// the shared ones above.
	Falco, Audit EndpointCredentials
	// FalcoMinPriority is the lowest Falco priority kept, as Falco spells it.
	FalcoMinPriority string
	// FalcoMaxBodyBytes and AuditMaxBodyBytes bound a request body, after
	// decompression.
	FalcoMaxBodyBytes int64
	AuditMaxBodyBytes int64
	// SourceMaxBodyBytes is a ZenSource webhook's body limit by default,
	// and the most one may ask for; SourceBufferSize bounds each one's
	// findings waiting for the pipeline.
	SourceMaxBodyBytes int64
	SourceBufferSize   int
	// MaxInflightBytes bounds the body bytes being read or decoded across
	// every request at once.
	MaxInflightBytes int64
	// AuditTrustedUsers are the users whose secret reads are routine; a
	// trailing * matches any suffix.
	AuditTrustedUsers []string
	// AuditRulesFile names a YAML file of extra audit rules in CEL.
	AuditRulesFile string
	// FalcoAck and AuditAck say when each webhook answers 2xx: once the
	// findings are buffered (AckAccepted) or once they are stored
	// (AckStored).
	FalcoAck, AuditAck AckMode
}

// EndpointCredentials are credentials one webhook accepts and the other
// refuses, so that Falco's token cannot forge audit events.
type EndpointCredentials struct {
	// Token and TokenFile are as the shared WEBHOOK_TOKEN(_FILE).
	Token     Secret
	TokenFile string
	// HMACSecret and HMACSecretFile are as the shared HMAC_SECRET(_FILE).
	HMACSecret     Secret
	HMACSecretFile string
	// AllowedNames are client certificate names this webhook accepts,
	// beside TLSClientAllowedNames.
	AllowedNames []string
}

func (c EndpointCredentials) hasToken() bool { return c.Token != "" || c.TokenFile != "" }
func (c EndpointCredentials) hasHMAC() bool  { return c.HMACSecret != "" || c.HMACSecretFile != "" }
func (c EndpointCredentials) any() bool      { return c.hasToken() || c.hasHMAC() }

// AckMode is when a webhook acknowledges a request.
type AckMode string

// Acknowledgement modes.
const (
	// AckAccepted answers once the findings are buffered: at most once
	// for a sender that does not retry, and never blocks it.
	AckAccepted AckMode = "accepted"
	// AckStored answers once every finding is stored, or 503 with
	// Retry-After when that takes longer than AckStoredTimeout.
	AckStored AckMode = "stored"
)

// AckStoredTimeout bounds how long a webhook in AckStored mode waits for
// the store before it answers 503: a third of the API server's audit
// webhook client timeout (30s), so the sender never times out first.
const AckStoredTimeout = 10 * time.Second

// maxStoredFlush is the longest FLUSH_INTERVAL AckStored works with: a
// repeat is stored by the next coalesced write, which must come well
// within AckStoredTimeout.
const maxStoredFlush = 5 * time.Second

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
		Token:                 Secret(r.secret("WEBHOOK_TOKEN", 4096)),
		TokenFile:             r.text("WEBHOOK_TOKEN_FILE", "", 4096),
		AuthDisabled:          r.boolean("WEBHOOK_AUTH_DISABLED", false),
		HMACSecret:            Secret(r.secret("HMAC_SECRET", 4096)),
		HMACSecretFile:        r.text("HMAC_SECRET_FILE", "", 4096),
		HMACMaxSkew:           r.duration("HMAC_MAX_SKEW", 5*time.Minute, time.Second, time.Hour),
		HMACMaxNonces:         r.integer("HMAC_MAX_NONCES", 2_000_000, 1_000, 100_000_000),
		IdempotencyTTL:        r.duration("IDEMPOTENCY_TTL", 24*time.Hour, time.Minute, 7*24*time.Hour),
		RateLimitRPS:          r.float("RATE_LIMIT_RPS", 1000, 0, 1_000_000),
		RateLimitBurst:        r.integer("RATE_LIMIT_BURST", 2000, 1, 10_000_000),
		TrustedProxies:        r.prefixes("TRUSTED_PROXY_CIDRS"),
		TLSCertFile:           r.text("TLS_CERT_FILE", "", 4096),
		TLSKeyFile:            r.text("TLS_KEY_FILE", "", 4096),
		TLSClientCAFile:       r.text("TLS_CLIENT_CA_FILE", "", 4096),
		TLSClientAllowedNames: r.certNames("TLS_CLIENT_ALLOWED_NAMES"),
		FalcoAuth:             lower(r.subset("FALCO_WEBHOOK_AUTH", nil, "TOKEN", "HMAC", "MTLS")),
		AuditAuth:             lower(r.subset("AUDIT_WEBHOOK_AUTH", nil, "TOKEN", "HMAC", "MTLS")),
		Falco:                 loadEndpointCredentials(r, "FALCO_"),
		Audit:                 loadEndpointCredentials(r, "AUDIT_"),
		FalcoMinPriority:      r.word("FALCO_MIN_PRIORITY", "Warning", falcoPriorities...),
		FalcoMaxBodyBytes:     r.bytes("FALCO_MAX_BODY_BYTES", 1<<20, 1<<10, 1<<30),
		AuditMaxBodyBytes:     r.bytes("AUDIT_MAX_BODY_BYTES", 16<<20, 1<<10, 1<<30),
		SourceMaxBodyBytes:    r.bytes("SOURCE_MAX_BODY_BYTES", 1<<20, 1<<10, 1<<30),
		SourceBufferSize:      r.integer("SOURCE_BUFFER_SIZE", 500, 1, 1_000_000),
		MaxInflightBytes:      r.bytes("MAX_INFLIGHT_BYTES", 64<<20, 1<<20, 64<<30),
		AuditTrustedUsers:     r.userPatterns("AUDIT_TRUSTED_USERS", defaultTrustedUsers),
		AuditRulesFile:        r.text("AUDIT_RULES_FILE", "", 4096),
		FalcoAck:              AckMode(r.oneOf("FALCO_ACK", string(AckAccepted), string(AckAccepted), string(AckStored))),
		AuditAck:              AckMode(r.oneOf("AUDIT_ACK", string(AckStored), string(AckAccepted), string(AckStored))),
	}
	if largest := max(w.FalcoMaxBodyBytes, w.AuditMaxBodyBytes, w.SourceMaxBodyBytes); w.MaxInflightBytes < largest {
		r.fail("MAX_INFLIGHT_BYTES", strconv.FormatInt(w.MaxInflightBytes, 10),
			"want at least the largest body limit, FALCO_MAX_BODY_BYTES, AUDIT_MAX_BODY_BYTES or SOURCE_MAX_BODY_BYTES ("+strconv.FormatInt(largest, 10)+"), or such a body is never taken")
	}
	shared := EndpointCredentials{Token: w.Token, TokenFile: w.TokenFile, HMACSecret: w.HMACSecret, HMACSecretFile: w.HMACSecretFile}
	// Every check below is independent of the others, so that one run
	// reports every contradiction, not the first.
	checkCredentials(r, "", shared)
	checkCredentials(r, "FALCO_", w.Falco)
	checkCredentials(r, "AUDIT_", w.Audit)
	if w.AuthDisabled && (shared.any() || w.Falco.any() || w.Audit.any() || w.TLSClientCAFile != "") {
		r.fail("WEBHOOK_AUTH_DISABLED", "true", "contradicts the webhook token, HMAC key or client CA that is also set; unset one of them")
	}
	if w.TLSCertFile != "" && w.TLSKeyFile == "" {
		r.fail("TLS_CERT_FILE", w.TLSCertFile, "set both TLS_CERT_FILE and TLS_KEY_FILE, or neither")
	}
	if w.TLSKeyFile != "" && w.TLSCertFile == "" {
		r.fail("TLS_KEY_FILE", w.TLSKeyFile, "set both TLS_CERT_FILE and TLS_KEY_FILE, or neither")
	}
	if w.TLSClientCAFile != "" && w.TLSCertFile == "" {
		r.fail("TLS_CLIENT_CA_FILE", w.TLSClientCAFile, "client certificates need TLS: set TLS_CERT_FILE and TLS_KEY_FILE too")
	}
	for _, n := range []struct {
		name  string
		names []string
	}{{"TLS_CLIENT_ALLOWED_NAMES", w.TLSClientAllowedNames}, {"FALCO_TLS_CLIENT_ALLOWED_NAMES", w.Falco.AllowedNames}, {"AUDIT_TLS_CLIENT_ALLOWED_NAMES", w.Audit.AllowedNames}} {
		if len(n.names) > 0 && w.TLSClientCAFile == "" {
			r.fail(n.name, strings.Join(n.names, ","), "names are matched against verified client certificates: set TLS_CLIENT_CA_FILE too")
		}
	}
	if both := commonSecrets(w.Falco.Token, w.Audit.Token); both {
		r.fail("AUDIT_WEBHOOK_TOKEN", "[redacted]", "holds a token FALCO_WEBHOOK_TOKEN holds too: a credential of one endpoint must not open the other; put a token both accept in WEBHOOK_TOKEN")
	}
	if both := commonSecrets(w.Falco.HMACSecret, w.Audit.HMACSecret); both {
		r.fail("AUDIT_HMAC_SECRET", "[redacted]", "holds a key FALCO_HMAC_SECRET holds too: a credential of one endpoint must not open the other; put a key both accept in HMAC_SECRET")
	}
	for _, ep := range []struct {
		prefix  string
		methods []string
		own     EndpointCredentials
	}{{"FALCO_", w.FalcoAuth, w.Falco}, {"AUDIT_", w.AuditAuth, w.Audit}} {
		configured := map[string]bool{
			"token": shared.hasToken() || ep.own.hasToken(),
			"hmac":  shared.hasHMAC() || ep.own.hasHMAC(),
			"mtls":  w.TLSClientCAFile != "",
		}
		for _, m := range ep.methods {
			if !configured[m] {
				r.fail(ep.prefix+"WEBHOOK_AUTH", strings.Join(ep.methods, ","), m+" is not configured: set "+map[string]string{
					"token": "WEBHOOK_TOKEN(_FILE) or " + ep.prefix + "WEBHOOK_TOKEN(_FILE)",
					"hmac":  "HMAC_SECRET(_FILE) or " + ep.prefix + "HMAC_SECRET(_FILE)",
					"mtls":  "TLS_CLIENT_CA_FILE"}[m])
			}
		}
		if len(ep.own.AllowedNames) > 0 && len(ep.methods) > 0 && !slices.Contains(ep.methods, "mtls") {
			r.fail(ep.prefix+"TLS_CLIENT_ALLOWED_NAMES", strings.Join(ep.own.AllowedNames, ","),
				"is never read: "+ep.prefix+"WEBHOOK_AUTH does not accept mtls; add mtls there or unset the names")
		}
	}
	return w
}

// loadEndpointCredentials reads the credentials only one webhook accepts:
// FALCO_WEBHOOK_TOKEN, FALCO_HMAC_SECRET and so on.
func loadEndpointCredentials(r *reader, prefix string) EndpointCredentials {
	return EndpointCredentials{
		Token:          Secret(r.secret(prefix+"WEBHOOK_TOKEN", 4096)),
		TokenFile:      r.text(prefix+"WEBHOOK_TOKEN_FILE", "", 4096),
		HMACSecret:     Secret(r.secret(prefix+"HMAC_SECRET", 4096)),
		HMACSecretFile: r.text(prefix+"HMAC_SECRET_FILE", "", 4096),
		AllowedNames:   r.certNames(prefix + "TLS_CLIENT_ALLOWED_NAMES"),
	}
}

// checkCredentials reports a value that holds no secret, and a value set
// beside the file that would replace it.
func checkCredentials(r *reader, prefix string, c EndpointCredentials) {
	if c.Token != "" && len(SplitSecrets(string(c.Token))) == 0 {
		r.fail(prefix+"WEBHOOK_TOKEN", "[redacted]", "holds no token: want one or more tokens, comma- or line-separated")
	}
	if c.Token != "" && c.TokenFile != "" {
		r.fail(prefix+"WEBHOOK_TOKEN_FILE", c.TokenFile, "set either "+prefix+"WEBHOOK_TOKEN or "+prefix+"WEBHOOK_TOKEN_FILE, not both")
	}
	if c.HMACSecret != "" && len(SplitSecrets(string(c.HMACSecret))) == 0 {
		r.fail(prefix+"HMAC_SECRET", "[redacted]", "holds no key: want one or more keys, comma- or line-separated")
	}
	if c.HMACSecret != "" && c.HMACSecretFile != "" {
		r.fail(prefix+"HMAC_SECRET_FILE", c.HMACSecretFile, "set either "+prefix+"HMAC_SECRET or "+prefix+"HMAC_SECRET_FILE, not both")
	}
}

// commonSecrets reports whether two values share a secret.
func commonSecrets(a, b Secret) bool {
	for _, s := range SplitSecrets(string(a)) {
		if slices.Contains(SplitSecrets(string(b)), s) {
			return true
		}
	}
	return false
}

// SplitSecrets splits a value holding several secrets, comma- or
// line-separated, dropping blanks.
func SplitSecrets(s string) []string {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' })
	out := fields[:0]
	for _, f := range fields {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// certNames accepts a comma-separated list of client certificate names,
// as package certname reads it.
func (r *reader) certNames(name string) []string {
	v, ok := r.lookup(name)
	if !ok {
		return nil
	}
	a, err := certname.Parse(v)
	if err != nil {
		r.fail(name, v, "want a comma-separated list of certificate names, e.g. falco-sidekick,*.falco.svc: "+err.Error())
		return nil
	}
	return strings.Split(a.String(), ",")
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
