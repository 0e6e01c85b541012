package certname

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
)

// Limits on a list, so a configuration typo cannot make every handshake
// loop over megabytes of names.
const (
	maxEntries  = 256
	maxEntryLen = 1024
)

// Allowed is a parsed list of allowed names. The zero value allows no
// certificate; callers that mean "any name" keep a nil *Allowed.
type Allowed struct {
	exact    map[string]bool // lower case, for common and DNS names
	written  map[string]bool // as written, for URIs
	suffixes []string        // ".falco.svc" for "*.falco.svc", lower case
	entries  []string        // as written, for messages
}

// Parse reads a comma-separated list of names. Blank entries between
// commas, a "*" anywhere but a leading "*.", spaces or control characters
// inside a name, and overlong lists are errors, each naming the entry.
func Parse(list string) (*Allowed, error) {
	a := &Allowed{exact: map[string]bool{}, written: map[string]bool{}}
	items := strings.Split(list, ",")
	if len(items) > maxEntries {
		return nil, fmt.Errorf("want at most %d names, got %d", maxEntries, len(items))
	}
	for i, item := range items {
		item = strings.TrimSpace(item)
		if err := check(item); err != nil {
			return nil, fmt.Errorf("name %d %w", i+1, err)
		}
		a.entries = append(a.entries, item)
		lower := strings.ToLower(item)
		if rest, ok := strings.CutPrefix(lower, "*."); ok {
			a.suffixes = append(a.suffixes, "."+rest)
			continue
		}
		a.exact[lower] = true
		a.written[item] = true
	}
	return a, nil
}

// check validates one entry of a list.
func check(item string) error {
	switch {
	case item == "":
		return errors.New("is empty: want names separated by single commas")
	case len(item) > maxEntryLen:
		return fmt.Errorf("is %d bytes long: want at most %d", len(item), maxEntryLen)
	}
	for i := 0; i < len(item); i++ {
		if c := item[i]; c <= ' ' || c == 0x7f {
			return fmt.Errorf("%q holds a space or control character", item)
		}
	}
	rest, wildcard := strings.CutPrefix(item, "*.")
	if strings.Contains(rest, "*") || (!wildcard && strings.HasPrefix(item, "*")) {
		return fmt.Errorf("%q: * is allowed only as a whole leading label, as in *.falco.svc", item)
	}
	if wildcard && (rest == "" || strings.HasPrefix(rest, ".") || strings.HasSuffix(rest, ".") || strings.Contains(rest, "..")) {
		return fmt.Errorf("%q: want a domain after *., as in *.falco.svc", item)
	}
	return nil
}

// String lists the entries as written.
func (a *Allowed) String() string { return strings.Join(a.entries, ",") }

// Names lists the names of cert that Allows compares: the subject common
// name, then the DNS names, then the URIs.
func Names(cert *x509.Certificate) []string {
	var names []string
	if cert.Subject.CommonName != "" {
		names = append(names, cert.Subject.CommonName)
	}
	names = append(names, cert.DNSNames...)
	for _, u := range cert.URIs {
		names = append(names, u.String())
	}
	return names
}

// Allows reports whether cert carries an allowed name, and which.
func (a *Allowed) Allows(cert *x509.Certificate) (string, bool) {
	if cert.Subject.CommonName != "" && a.matchHost(cert.Subject.CommonName) {
		return cert.Subject.CommonName, true
	}
	for _, n := range cert.DNSNames {
		if a.matchHost(n) {
			return n, true
		}
	}
	for _, u := range cert.URIs {
		if s := u.String(); a.written[s] {
			return s, true
		}
	}
	return "", false
}

// matchHost matches a common name or DNS name, exactly or by a wildcard
// that stands for one whole label.
func (a *Allowed) matchHost(name string) bool {
	name = strings.ToLower(name)
	if a.exact[name] {
		return true
	}
	for _, suffix := range a.suffixes {
		label, ok := strings.CutSuffix(name, suffix)
		if ok && label != "" && !strings.Contains(label, ".") {
			return true
		}
	}
	return false
}
