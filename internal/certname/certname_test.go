package certname

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"net/url"
	"strings"
	"testing"
)

func cert(cn string, dns []string, uris ...string) *x509.Certificate {
	c := &x509.Certificate{Subject: pkix.Name{CommonName: cn}, DNSNames: dns}
	for _, s := range uris {
		u, err := url.Parse(s)
		if err != nil {
			panic(err)
		}
		c.URIs = append(c.URIs, u)
	}
	return c
}

func TestAllows(t *testing.T) {
	a, err := Parse(" falco-sidekick , *.falco.svc,spiffe://cluster.local/ns/falco/sa/falco,Audit.Example.COM")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		cert  *x509.Certificate
		match string
	}{
		{"common name", cert("falco-sidekick", nil), "falco-sidekick"},
		{"common name, other case", cert("FALCO-SIDEKICK", nil), "FALCO-SIDEKICK"},
		{"DNS name", cert("someone", []string{"x.example", "audit.example.com"}), "audit.example.com"},
		{"wildcard on a DNS name", cert("", []string{"falco-0.falco.svc"}), "falco-0.falco.svc"},
		{"wildcard on the common name", cert("falco-1.falco.svc", nil), "falco-1.falco.svc"},
		{"URI", cert("nobody", nil, "spiffe://cluster.local/ns/falco/sa/falco"), "spiffe://cluster.local/ns/falco/sa/falco"},
		{"wildcard stands for one label only", cert("a.b.falco.svc", []string{"a.b.falco.svc"}), ""},
		{"wildcard needs a label", cert("falco.svc", []string{".falco.svc"}), ""},
		{"URI case matters", cert("", nil, "spiffe://cluster.local/ns/Falco/sa/falco"), ""},
		{"URI is not a host", cert("", nil, "https://falco-sidekick"), ""},
		{"another name", cert("kyverno", []string{"kyverno.svc"}), ""},
		{"no name at all", cert("", nil), ""},
		{"suffix is not a match", cert("evil-falco-sidekick", nil), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := a.Allows(tc.cert)
			if ok != (tc.match != "") || got != tc.match {
				t.Fatalf("Allows = %q %v, want %q", got, ok, tc.match)
			}
		})
	}
	if a.String() != "falco-sidekick,*.falco.svc,spiffe://cluster.local/ns/falco/sa/falco,Audit.Example.COM" {
		t.Errorf("String = %q", a.String())
	}
}

func TestParseRefuses(t *testing.T) {
	for _, list := range []string{
		"", ",", "a,,b", "a, ,b", "a b", "a\tb", "tab\x00", "x\x7fy",
		"*", "*.", "*.*.svc", "a.*.svc", "*falco.svc", "falco*", "*..svc", "*.svc.", "*..",
		strings.Repeat("a", maxEntryLen+1),
		strings.Repeat("a,", maxEntries) + "a",
	} {
		if a, err := Parse(list); err == nil {
			t.Errorf("Parse(%q) accepted %v", list, a)
		}
	}
}

func TestNames(t *testing.T) {
	got := Names(cert("cn", []string{"d1", "d2"}, "spiffe://x/y"))
	if strings.Join(got, " ") != "cn d1 d2 spiffe://x/y" {
		t.Errorf("Names = %v", got)
	}
}
