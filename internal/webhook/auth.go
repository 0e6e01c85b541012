package webhook

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// Identity names the authenticated sender, for logs, per-sender limits and
// the sender annotation of the events it stores: "token:" and the first 8
// hex digits of the token's SHA-256, "hmac:" and the same of the key,
// "mtls:" and the certificate's subject, or "anonymous". It never contains
// a secret.
type Identity string

// fingerprint names a secret without showing it: the first 8 hex digits
// of its SHA-256, enough to tell a sender's tokens or keys apart and far
// too few to guess one from.
func fingerprint(digest [sha256.Size]byte) string { return hex.EncodeToString(digest[:4]) }

// Authenticator decides whether a request may be processed, in two steps.
// Headers runs before the body is read, so a sender without credentials
// cannot make the intake read, or hold memory for, a body: a scheme that
// signs nothing decides there, and a signing scheme checks what it can
// (headers present and well-formed, timestamp). Body runs after the body
// is read, within the endpoint's limit, only when Headers left the
// decision open.
type Authenticator interface {
	Headers(r *http.Request) (id Identity, decided bool, err *AuthError)
	Body(r *http.Request, body []byte) (Identity, *AuthError)
}

// AuthError is a refused request. Reason is a metric label; Detail tells
// the sender what to fix and never repeats what it sent. A positive
// RetryAfter means the credentials were fine but the request cannot be
// taken now: it is answered 503 with Retry-After, not 401. Forbidden marks
// a sender that proved who it is but may not use the endpoint: 403, not 401.
type AuthError struct {
	Reason     string
	Detail     string
	RetryAfter time.Duration
	Forbidden  bool
}

// Reasons for refusing a request, as the reason label of
// zen_watcher_webhook_auth_failures_total.
const (
	AuthNotConfigured = "not-configured"
	AuthMissingToken  = "missing-token"
	AuthMalformed     = "malformed-authorization"
	AuthInvalidToken  = "invalid-token"
)

// Open accepts every request: WEBHOOK_AUTH_DISABLED=true.
type Open struct{}

// Headers accepts r as the anonymous sender.
func (Open) Headers(*http.Request) (Identity, bool, *AuthError) { return "anonymous", true, nil }

// Body is not reached: Headers decides.
func (Open) Body(*http.Request, []byte) (Identity, *AuthError) { return "anonymous", nil }

// Unconfigured refuses every request and says how to configure
// authentication: the webhooks are closed until the operator decides.
type Unconfigured struct{}

// Headers refuses r.
func (u Unconfigured) Headers(r *http.Request) (Identity, bool, *AuthError) {
	_, err := u.Body(r, nil)
	return "", true, err
}

// Body refuses r.
func (Unconfigured) Body(*http.Request, []byte) (Identity, *AuthError) {
	return "", &AuthError{Reason: AuthNotConfigured, Detail: "webhook authentication is not configured on this zen-watcher: " +
		"set WEBHOOK_TOKEN or WEBHOOK_TOKEN_FILE (or this webhook's FALCO_ or AUDIT_ variant) and send it as 'Authorization: Bearer <token>', " +
		"or HMAC_SECRET or HMAC_SECRET_FILE (or its variant) and sign requests, " +
		"or set WEBHOOK_AUTH_DISABLED=true to accept unauthenticated requests"}
}

// Tokens accepts a bearer token from a set that can be replaced while
// serving, so a token can be rotated without a restart: add the new one,
// move the senders, remove the old one.
type Tokens struct {
	digests atomic.Pointer[[][sha256.Size]byte]
}

// NewTokens accepts the given tokens.
func NewTokens(tokens []string) *Tokens {
	t := &Tokens{}
	t.Set(tokens)
	return t
}

// Set replaces the accepted tokens.
func (t *Tokens) Set(tokens []string) {
	d := make([][sha256.Size]byte, len(tokens))
	for i, tok := range tokens {
		d[i] = sha256.Sum256([]byte(tok))
	}
	t.digests.Store(&d)
}

// Headers decides: the token is a header.
func (t *Tokens) Headers(r *http.Request) (Identity, bool, *AuthError) {
	id, err := t.Body(r, nil)
	return id, true, err
}

// Body checks the bearer token of r. Tokens are compared as SHA-256
// digests, in constant time, against every accepted token, so neither a
// token's length nor which token matched shows in the timing.
func (t *Tokens) Body(r *http.Request, _ []byte) (Identity, *AuthError) {
	values := r.Header.Values("Authorization")
	if len(values) == 0 {
		return "", &AuthError{Reason: AuthMissingToken, Detail: "send the webhook token as 'Authorization: Bearer <token>'"}
	}
	scheme, token, ok := strings.Cut(values[0], " ")
	if len(values) > 1 || !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", &AuthError{Reason: AuthMalformed, Detail: "want exactly one header 'Authorization: Bearer <token>'"}
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	if !t.holds(got) {
		return "", &AuthError{Reason: AuthInvalidToken, Detail: "the bearer token is not one this endpoint accepts"}
	}
	return Identity("token:" + fingerprint(got)), nil
}

// Holds reports whether token is one of the accepted tokens, so the admin
// API can refuse a webhook token without passing it on to a TokenReview.
func (t *Tokens) Holds(token string) bool {
	return t.holds(sha256.Sum256([]byte(token)))
}

func (t *Tokens) holds(got [sha256.Size]byte) bool {
	match := 0
	for _, want := range *t.digests.Load() {
		match |= subtle.ConstantTimeCompare(got[:], want[:])
	}
	return match == 1
}
