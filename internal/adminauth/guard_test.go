package adminauth

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// The guard's decisions are tested against a real API server, with real
// ServiceAccounts, in test/integration (TestAdminAPIWithServiceAccounts).
// These tests cover what needs none: reading the header and wording the
// denial.

func TestBearerToken(t *testing.T) {
	for _, tc := range []struct {
		name    string
		headers []string
		token   string
		reason  string
	}{
		{"none", nil, "", reasonMissingToken},
		{"bearer", []string{"Bearer abc.def"}, "abc.def", ""},
		{"scheme in any case, spaces trimmed", []string{"bearer   abc  "}, "abc", ""},
		{"basic", []string{"Basic dXNlcjpwYXNz"}, "", reasonInvalidToken},
		{"no token", []string{"Bearer "}, "", reasonInvalidToken},
		{"no space", []string{"Bearerabc"}, "", reasonInvalidToken},
		{"two headers", []string{"Bearer a", "Bearer b"}, "", reasonInvalidToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/api/v1/dlq", nil)
			for _, h := range tc.headers {
				r.Header.Add("Authorization", h)
			}
			token, reason := bearerToken(r)
			if token != tc.token || reason != tc.reason {
				t.Fatalf("got %q %q, want %q %q", token, reason, tc.token, tc.reason)
			}
		})
	}
}

func TestDescribeNamesTheRuleToGrant(t *testing.T) {
	for _, tc := range []struct {
		a    attributes
		want string
	}{
		{attributes{resource: true, verb: "create", group: Group, kind: "deadletters", subresource: "replay", namespace: "zen"},
			"create deadletters/replay.zen.kube-zen.io in namespace zen"},
		{attributes{resource: true, verb: "list", group: Group, kind: "tools", namespace: "zen"},
			"list tools.zen.kube-zen.io in namespace zen"},
		{attributes{verb: "get", path: "/metrics"}, "get the non-resource URL /metrics"},
	} {
		if got := tc.a.describe(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

// FuzzBearerToken: any header is read without a panic, and a token read
// is never blank and never holds the scheme.
func FuzzBearerToken(f *testing.F) {
	for _, seed := range []string{"Bearer abc", "bearer", "Bearer  ", "Basic x", "Bearer a b c", "\x00Bearer x", strings.Repeat("B", 5000)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["Authorization"] = []string{header}
		token, reason := bearerToken(r)
		if (token == "") == (reason == "") {
			t.Fatalf("%q: token %q and reason %q", header, token, reason)
		}
		if token != "" && (strings.TrimSpace(token) != token || !strings.HasSuffix(header, token)) {
			t.Fatalf("%q: token %q", header, token)
		}
	})
}
