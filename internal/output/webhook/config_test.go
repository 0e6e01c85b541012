package webhook

import (
	"net/http"
	"strings"
	"testing"
)

func TestNewRefusesBadConfig(t *testing.T) {
	client := &http.Client{}
	for _, tc := range []struct {
		name string
		cfg  Config
		want []string
	}{
		{"relative URL", Config{URL: "/hub", Cluster: "a", Client: client}, []string{"absolute http or https"}},
		{"ftp", Config{URL: "ftp://hub/x", Cluster: "a", Client: client}, []string{"absolute http or https"}},
		{"garbage URL", Config{URL: "http://[::1", Cluster: "a", Client: client}, []string{"url:"}},
		{"credentials in the URL", Config{URL: "https://u:p@hub/x", Cluster: "a", Client: client}, []string{"credentials in the URL"}},
		{"no cluster", Config{URL: "https://hub/x", Client: client}, []string{"cluster: the CloudEvents source is required"}},
		{"cluster with spaces", Config{URL: "https://hub/x", Cluster: "a b", Client: client}, []string{"URI reference"}},
		{"no client", Config{URL: "https://hub/x", Cluster: "a"}, []string{"client: required"}},
		{"token with a newline", Config{URL: "https://hub/x", Cluster: "a", Client: client, Token: "t\r\nX-Evil: 1"}, []string{"line break"}},
		{"negative body bound", Config{URL: "https://hub/x", Cluster: "a", Client: client, MaxBodyBytes: -1}, []string{"max body bytes"}},
		{"reserved headers", Config{URL: "https://hub/x", Cluster: "a", Client: client, Headers: map[string]string{
			"x-signature": "sha256=00", "Authorization": "Bearer x", "X-Zen-Nonce": "n", "content-type": "text/plain", "Ce-Type": "x", "X-Request-Id": "1",
		}}, []string{"header x-signature", "header Authorization", "header X-Zen-Nonce", "header content-type", "header Ce-Type", "header X-Request-Id"}},
		{"bad header", Config{URL: "https://hub/x", Cluster: "a", Client: client, Headers: map[string]string{"Bad Name": "v", "X-Ok": "a\nb"}},
			[]string{`header "Bad Name": not a valid header name`, "header X-Ok: the value holds control characters"}},
		{"everything at once", Config{URL: "nope", Headers: map[string]string{"Host": "evil"}}, []string{"url", "cluster", "client", "header Host"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "u:p") {
				t.Errorf("credentials in the error: %v", err)
			}
		})
	}
	if _, err := New(Config{URL: "https://hub.example/api/v1/sources/hub/a?x=1", Cluster: "0b3c6f1e-8c2a-4c55-9b1e-2f3c4d5e6f70", Client: client,
		Headers: map[string]string{"X-Tenant": "blue"}}); err != nil {
		t.Fatalf("a good config refused: %v", err)
	}
}
