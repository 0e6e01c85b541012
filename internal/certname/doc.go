// Package certname decides whether a client certificate carries one of the
// names an operator allowed (TLS_CLIENT_ALLOWED_NAMES). A CA commonly signs
// certificates for many services; verifying the chain only proves the CA
// signed it, so the name says which of them is calling.
//
// A list is comma-separated. Each entry is matched, exactly and without
// regard to case, against the certificate's subject common name, its DNS
// names and its URIs; an entry that starts with "*." matches a common name
// or DNS name with exactly one more label in its place, as TLS wildcards do
// (RFC 6125): "*.falco.svc" matches "a.falco.svc" but neither "falco.svc"
// nor "a.b.falco.svc". URIs (SPIFFE IDs, for example) match only exactly, case included.
package certname
