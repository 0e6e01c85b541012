package webhook

import (
	"net/http"
	"strings"

	"github.com/kube-zen/zen-watcher/internal/certname"
)

// Reasons for refusing a request without a usable client certificate.
const (
	AuthMissingClientCert = "missing-client-certificate"
	AuthMissingCredential = "missing-credentials"
	AuthNameNotAllowed    = "client-name-not-allowed"
)

// maxSubject bounds the subject an identity quotes: a CA may sign long
// subjects, and the identity ends up in an annotation and in log lines.
const maxSubject = 256

// ClientCert accepts a request whose TLS client certificate verified
// against TLS_CLIENT_CA_FILE and, when Allowed is set, carries one of its
// names. The server asks for certificates without requiring them, so
// probes and metrics still answer without one; each webhook that accepts
// mTLS checks here that one was given.
type ClientCert struct {
	// Allowed, when set, lists the names a certificate must carry
	// (TLS_CLIENT_ALLOWED_NAMES); a certificate of the right CA with
	// another name is refused with 403. Nil accepts any name.
	Allowed *certname.Allowed
}

// Headers decides from the connection's verified chains.
func (c ClientCert) Headers(r *http.Request) (Identity, bool, *AuthError) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return "", true, &AuthError{Reason: AuthMissingClientCert, Detail: "present a TLS client certificate signed by the CA in TLS_CLIENT_CA_FILE"}
	}
	leaf := r.TLS.VerifiedChains[0][0]
	if c.Allowed != nil {
		if _, ok := c.Allowed.Allows(leaf); !ok {
			return "", true, &AuthError{Reason: AuthNameNotAllowed, Forbidden: true,
				Detail: "the client certificate is valid, but none of its names is allowed on this endpoint (TLS_CLIENT_ALLOWED_NAMES)"}
		}
	}
	subject := leaf.Subject.String()
	if subject == "" && len(leaf.DNSNames) > 0 {
		subject = "DNS=" + leaf.DNSNames[0]
	}
	if len(subject) > maxSubject {
		subject = subject[:maxSubject]
	}
	return Identity("mtls:" + subject), true, nil
}

// Body is not reached: Headers decides.
func (c ClientCert) Body(r *http.Request, _ []byte) (Identity, *AuthError) {
	id, _, err := c.Headers(r)
	return id, err
}

// AnyOf accepts a request by whichever of its schemes the request's
// credentials belong to: signature headers go to HMAC, an Authorization
// header to Tokens, and a verified client certificate alone to
// ClientCert. Nil schemes are not accepted.
type AnyOf struct {
	Tokens *Tokens
	HMAC   *HMAC
	Cert   *ClientCert
}

func (a AnyOf) pick(r *http.Request) Authenticator {
	switch {
	case a.HMAC != nil && (r.Header.Get(HeaderSignature) != "" || r.Header.Get(HeaderTimestamp) != "" || r.Header.Get(HeaderNonce) != ""):
		return a.HMAC
	case a.Tokens != nil && r.Header.Get("Authorization") != "":
		return a.Tokens
	case a.Cert != nil && r.TLS != nil && len(r.TLS.VerifiedChains) > 0:
		return a.Cert
	}
	return nil
}

// Headers dispatches to the scheme the request uses.
func (a AnyOf) Headers(r *http.Request) (Identity, bool, *AuthError) {
	if s := a.pick(r); s != nil {
		return s.Headers(r)
	}
	return "", true, &AuthError{Reason: AuthMissingCredential, Detail: "authenticate with one of: " + strings.Join(a.methods(), ", ") + " (see the README)"}
}

// Body dispatches to the scheme the request uses.
func (a AnyOf) Body(r *http.Request, body []byte) (Identity, *AuthError) {
	if s := a.pick(r); s != nil {
		return s.Body(r, body)
	}
	_, _, err := a.Headers(r)
	return "", err
}

func (a AnyOf) methods() []string {
	var m []string
	if a.Tokens != nil {
		m = append(m, "a bearer token (Authorization: Bearer <token>)")
	}
	if a.HMAC != nil {
		m = append(m, "an HMAC signature ("+HeaderTimestamp+", "+HeaderNonce+", "+HeaderSignature+")")
	}
	if a.Cert != nil {
		m = append(m, "a TLS client certificate")
	}
	return m
}
