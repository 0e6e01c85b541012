package webhook

import (
	"net/http"
	"strings"
)

// Reasons for refusing a request without a usable client certificate.
const (
	AuthMissingClientCert = "missing-client-certificate"
	AuthMissingCredential = "missing-credentials"
)

// ClientCert accepts a request whose TLS client certificate verified
// against TLS_CLIENT_CA_FILE. The server asks for certificates without
// requiring them, so probes and metrics still answer without one; each
// webhook that accepts mTLS checks here that one was given.
type ClientCert struct{}

// Headers decides from the connection's verified chains.
func (ClientCert) Headers(r *http.Request) (Identity, bool, *AuthError) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return "", true, &AuthError{Reason: AuthMissingClientCert, Detail: "present a TLS client certificate signed by the CA in TLS_CLIENT_CA_FILE"}
	}
	leaf := r.TLS.VerifiedChains[0][0]
	name := leaf.Subject.CommonName
	if name == "" && len(leaf.DNSNames) > 0 {
		name = leaf.DNSNames[0]
	}
	return Identity("mtls:" + name), true, nil
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
