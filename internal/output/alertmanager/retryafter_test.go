package alertmanager

import (
	"encoding/pem"
	"net/http"
	"testing"
	"time"
)

func certPEM(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"0": 0, "12": 12 * time.Second, " 3 ": 3 * time.Second,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
	}
	for v, want := range cases {
		if got, ok := ParseRetryAfter(v, now); !ok || got != want {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v", v, got, ok, want)
		}
	}
	for _, v := range []string{"", "-1", "soon", "1e9", "99999999999", "Mon, 99 Foo"} {
		if got, ok := ParseRetryAfter(v, now); ok {
			t.Errorf("ParseRetryAfter(%q) = %v, want none", v, got)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"0", "120", "Wed, 21 Oct 2015 07:28:00 GMT", "", "-5", "x"} {
		f.Add(s)
	}
	now := time.Now()
	f.Fuzz(func(t *testing.T, v string) {
		if d, ok := ParseRetryAfter(v, now); ok && d < 0 {
			t.Fatalf("ParseRetryAfter(%q) = %v, a negative wait", v, d)
		}
	})
}
