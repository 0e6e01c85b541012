package slack

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain title", "plain title"},
		{"<!channel> ping", "&lt;!channel&gt; ping"},
		{"<https://evil.example|click here>", "&lt;https[:]//evil.example|click here&gt;"},
		{"*bold* _it_ ~strike~ `code`", "∗bold∗ ˍitˍ ∼strike∼ ˋcodeˋ"},
		{"a & b", "a &amp; b"},
		{"&lt; already", "&amp;lt; already"},
		{"line\nbreak\r\n\ttab", "line break tab"},
		{"\x00\x1b[31mred\u202e", "[31mred"},
		{"bad \xff utf-8", "bad \uFFFD utf-8"},
		{"  spaced   out  ", "spaced out"},
		{"see http://x.example/a", "see http[:]//x.example/a"},
	} {
		if got := Text(tc.in, 200); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := Code("kube_bench`1.2", 100); got != "`kube_benchˋ1.2`" {
		t.Errorf("Code: %q", got)
	}
	if got := Code("<a>", 100); got != "`&lt;a&gt;`" {
		t.Errorf("Code: %q", got)
	}
	if got := Code("\n\t", 100); got != "" {
		t.Errorf("an empty identifier makes no empty code span: %q", got)
	}
	if got := Text(strings.Repeat("é", 500), 10); got != strings.Repeat("é", 9)+"…" {
		t.Errorf("clipping: %q", got)
	}
}

var entity = regexp.MustCompile(`&(?:amp|lt|gt);`)

func checkSafe(t *testing.T, s string, maxRunes int) {
	t.Helper()
	if !utf8.ValidString(s) || strings.ContainsAny(s, "\n\r\x00") {
		t.Fatalf("not one valid line: %q", s)
	}
	if rest := entity.ReplaceAllString(s, ""); strings.ContainsAny(rest, "<>&") || strings.Contains(s, "://") {
		t.Fatalf("could form a link, mention or entity: %q", s)
	}
	if n := utf8.RuneCountInString(s); n > maxRunes {
		t.Fatalf("%d characters, more than %d", n, maxRunes)
	}
}

// FuzzText: whatever a finding says, its text cannot form a link, a
// mention, an entity or emphasis, stays on one line and within bounds.
func FuzzText(f *testing.F) {
	for _, s := range []string{"", "<!here>", "*a*", "&amp;", "https://x", "\xff", strings.Repeat("<", 300), "a\u2028b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Text(s, 50)
		checkSafe(t, out, 5*50)
		if strings.ContainsAny(out, "*_~`") {
			t.Fatalf("emphasis left in %q", out)
		}
		code := Code(s, 50)
		checkSafe(t, code, 5*50+2)
		if strings.Count(code, "`") != 0 && strings.Count(code, "`") != 2 {
			t.Fatalf("code span broken: %q", code)
		}
	})
}
