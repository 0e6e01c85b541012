package httpsend

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestExcerpt(t *testing.T) {
	for _, tc := range []struct {
		name, ctype, body, want string
	}{
		{"empty", "", "", ""},
		{"text", "text/plain", "no_service\n", "no_service"},
		{"zen-watcher problem", "application/problem+json",
			`{"type":"urn:zen-watcher:problem:invalid-payload","title":"Invalid payload","status":400,"detail":"1 of 2 items unreadable","reason":"invalid-payload","errors":[{"index":1,"pointer":"/1/data","reason":"mapping","detail":"severity: no such key"}]}`,
			"Invalid payload: 1 of 2 items unreadable (invalid-payload); /1/data severity: no such key"},
		{"problem with parameters", "application/problem+json; charset=utf-8", `{"title":"T"}`, "T"},
		{"JSON without a title", "application/json", `{"ok":false,"error":"invalid_blocks"}`, `{"ok":false,"error":"invalid_blocks"}`},
		{"malformed problem", "application/problem+json", `{"title":`, `{"title":`},
		{"wrong types", "application/problem+json", `{"title":5,"detail":[]}`, `{"title":5,"detail":[]}`},
		{"HTML", "text/html", "<html>\r\n<body>\t502  Bad   Gateway</body></html>", "<html> <body> 502 Bad Gateway</body></html>"},
		{"control characters", "text/plain", "a\x00b\x1b[2Jc\u202ed", "a b [2Jc d"},
		{"invalid UTF-8", "text/plain", "a\xff\xfeb", "a\uFFFDb"},
		{"bad media type", "{{{", "x", "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Excerpt(tc.ctype, []byte(tc.body)); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestExcerptBounded(t *testing.T) {
	for _, body := range []string{
		strings.Repeat("a", 10_000),
		strings.Repeat("é", 10_000),
		strings.Repeat("a ", 10_000),
		`{"title":"` + strings.Repeat("€", 5000) + `","detail":"d"}`,
	} {
		got := Excerpt("application/problem+json", []byte(body))
		checkExcerpt(t, got)
		if !strings.HasSuffix(got, "…") {
			t.Fatalf("a cut excerpt ends with an ellipsis: %q", got[len(got)-10:])
		}
	}
}

func checkExcerpt(t *testing.T, s string) {
	t.Helper()
	if len(s) > MaxExcerpt || !utf8.ValidString(s) {
		t.Fatalf("excerpt of %d bytes, valid UTF-8 %v", len(s), utf8.ValidString(s))
	}
	for _, r := range s {
		if !unicode.IsPrint(r) && r != ' ' {
			t.Fatalf("unprintable %U in %q", r, s)
		}
	}
	if strings.HasPrefix(s, " ") || strings.Contains(s, "  ") {
		t.Fatalf("spaces not collapsed: %q", s)
	}
}

// FuzzExcerpt: whatever a receiver answers, the excerpt is bounded,
// printable, one line, and nothing panics.
func FuzzExcerpt(f *testing.F) {
	f.Add("application/problem+json", []byte(`{"title":"t","detail":"d","reason":"r","errors":[{"pointer":"/x","detail":"y"}]}`))
	f.Add("application/json", []byte(`{"errors":[null,{}],"title":null}`))
	f.Add("text/plain", []byte("\xff\x00\n\t"))
	f.Add("application/cloudevents+json", []byte(`[`))
	f.Add("", []byte(strings.Repeat("\u2028", 300)))
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		checkExcerpt(t, Excerpt(ctype, body))
	})
}

// FuzzRetryAfter: any header value gives a delay within [0, MaxRetryAfter].
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "120", "-1", "1e9", "Wed, 21 Oct 2015 07:28:00 GMT", "Monday, 02-Jan-06 15:04:05 MST", " 5 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if d, ok := RetryAfter(v, now); ok && (d < 0 || d > MaxRetryAfter) {
			t.Fatalf("%q gave %v", v, d)
		}
	})
}
