package certname

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary lists and names: Parse never panics, an
// accepted list allows every exact entry that is a plain name, and a
// wildcard never allows a name with more than one extra label.
func FuzzParse(f *testing.F) {
	for _, seed := range [][2]string{
		{"falco", "falco"}, {"*.falco.svc", "a.falco.svc"}, {"*.falco.svc", "a.b.falco.svc"},
		{"a,,b", "a"}, {"*", "x"}, {"spiffe://c/ns/x", "spiffe://c/ns/x"}, {"\x00", ""}, {strings.Repeat("a,", 300), "a"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, list, name string) {
		a, err := Parse(list)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		c := &x509.Certificate{Subject: pkix.Name{CommonName: name}, DNSNames: []string{name}}
		match, ok := a.Allows(c)
		if ok && match != name {
			t.Fatalf("Allows matched %q for a certificate named %q", match, name)
		}
		for _, e := range a.entries {
			if !strings.HasPrefix(e, "*") {
				if _, ok := a.Allows(&x509.Certificate{Subject: pkix.Name{CommonName: e}}); !ok {
					t.Fatalf("list %q does not allow its own entry %q", list, e)
				}
			}
		}
		if ok && !a.exact[strings.ToLower(name)] {
			if i := strings.IndexByte(name, '.'); i <= 0 {
				t.Fatalf("wildcard matched %q, which has no label of its own", name)
			}
		}
	})
}
