package webhook

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kube-zen/zen-watcher/internal/certname"
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
		{"client certificate", all, withClientCert(post("a", "Authorization", ""), "falco-1"), "mtls:CN=falco-1", ""},
		{"token beside a certificate", all, withClientCert(post("a"), "falco-1"), Identity("token:" + tokenFingerprint), ""},
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

// tokenFingerprint is testToken's identity: the first 8 hex digits of its
// SHA-256.
var tokenFingerprint = hexPrefix(testToken)

func hexPrefix(secret string) string {
	d := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(d[:4])
}

// running starts ti's drainer and returns what stops it and waits for it,
// after which sink holds every finding accepted.
func running(ti *testIntake) func() {
	done := make(chan struct{})
	go func() { ti.Run(context.Background()); close(done) }()
	return func() { ti.Close(); <-done }
}

// TestAllowedNames: a certificate of the right CA with a name that is not
// allowed is refused with 403, the sender knows which rule refused it,
// and nothing is recorded; an allowed name is the sender, by subject.
func TestAllowedNames(t *testing.T) {
	allowed, err := certname.Parse("falco-sidekick,*.falco.svc")
	if err != nil {
		t.Fatal(err)
	}
	sink := &recorder{}
	ti := newTestIntake(t, AnyOf{Cert: &ClientCert{Allowed: allowed}}, 10, sink)
	stop := running(ti)
	rec := ti.do(withClientCert(post("a", "Authorization", ""), "kyverno"))
	if rec.Code != http.StatusForbidden {
		t.Fatalf("a certificate with another name: %d %s, want 403", rec.Code, rec.Body)
	}
	if p := decodeProblem(t, rec); p.Reason != AuthNameNotAllowed || strings.Contains(p.Detail, "kyverno") {
		t.Errorf("problem %+v: want reason %s, and no echo of the name", p, AuthNameNotAllowed)
	}
	if sink.count() != 0 {
		t.Fatal("a refused request recorded findings")
	}
	for _, cn := range []string{"falco-sidekick", "falco-0.falco.svc"} {
		if rec := ti.do(withClientCert(post(cn, "Authorization", ""), cn)); rec.Code != http.StatusAccepted {
			t.Fatalf("%s: %d %s, want 202", cn, rec.Code, rec.Body)
		}
	}
	stop()
	if got := sink.got[1].Sender; got != "mtls:CN=falco-0.falco.svc" {
		t.Errorf("sender %q", got)
	}
}

// TestSenderOfEachMethod: every accepted finding carries its sender, which
// names the credential without holding it.
func TestSenderOfEachMethod(t *testing.T) {
	sink := &recorder{}
	hm := NewHMAC([]string{testKey}, 5*time.Minute, func() time.Time { return signNow })
	ti := newTestIntake(t, AnyOf{Tokens: NewTokens([]string{testToken}), HMAC: hm, Cert: &ClientCert{}}, 10, sink)
	stop := running(ti)
	for _, req := range []*http.Request{post("by-token"), signedPost(testKey, signNow, "0123456789abcdef", "by-hmac"),
		withClientCert(post("by-cert", "Authorization", ""), "falco-1")} {
		if rec := ti.do(req); rec.Code != http.StatusAccepted {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
	stop()
	want := map[string]string{"by-token": "token:" + tokenFingerprint, "by-hmac": "hmac:" + hexPrefix(testKey), "by-cert": "mtls:CN=falco-1"}
	for _, f := range sink.got {
		if f.Sender != want[f.DedupKey] {
			t.Errorf("%s: sender %q, want %q", f.DedupKey, f.Sender, want[f.DedupKey])
		}
		if strings.Contains(f.Sender, testToken) || strings.Contains(f.Sender, testKey) {
			t.Errorf("the sender holds a secret: %q", f.Sender)
		}
	}
	if len(sink.got) != 3 {
		t.Fatalf("recorded %d findings, want 3", len(sink.got))
	}
}

func TestTokensHolds(t *testing.T) {
	tok := NewTokens([]string{"a", testToken})
	if !tok.Holds(testToken) || tok.Holds("other") || tok.Holds("") {
		t.Error("Holds answers wrong")
	}
}
