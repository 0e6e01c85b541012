package webhook

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"net/http"
	"testing"
	"time"
)

func withClientCert(r *http.Request, cn string) *http.Request {
	r.TLS = &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{{Subject: pkix.Name{CommonName: cn}}}}}
	return r
}

func TestAnyOfDispatchesByCredential(t *testing.T) {
	hm := NewHMAC([]string{testKey}, 5*time.Minute, func() time.Time { return signNow })
	all := AnyOf{Tokens: NewTokens([]string{testToken}), HMAC: hm, Cert: &ClientCert{}}
	certOnly := AnyOf{Cert: &ClientCert{}}
	for _, tc := range []struct {
		name   string
		auth   AnyOf
		req    *http.Request
		id     Identity
		reason string
	}{
		{"client certificate", all, withClientCert(post("a", "Authorization", ""), "falco-1"), "mtls:falco-1", ""},
		{"token beside a certificate", all, withClientCert(post("a"), "falco-1"), "bearer-token#1", ""},
		{"nothing", all, post("a", "Authorization", ""), "", AuthMissingCredential},
		{"token where only certificates count", certOnly, post("a"), "", AuthMissingCredential},
		{"a TLS connection without a verified chain", certOnly, func() *http.Request {
			r := post("a", "Authorization", "")
			r.TLS = &tls.ConnectionState{}
			return r
		}(), "", AuthMissingCredential},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, decided, err := tc.auth.Headers(tc.req)
			if tc.reason != "" {
				if err == nil || err.Reason != tc.reason {
					t.Fatalf("want %s, got %v", tc.reason, err)
				}
				return
			}
			if err != nil || !decided || id != tc.id {
				t.Fatalf("got %q %v %v, want %q", id, decided, err, tc.id)
			}
		})
	}
	if _, _, err := (ClientCert{}).Headers(post("a")); err == nil || err.Reason != AuthMissingClientCert {
		t.Errorf("no certificate: %v", err)
	}
}
