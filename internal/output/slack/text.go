package slack

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// lookalike replaces the characters Slack's mrkdwn reads as emphasis or
// code, in free text: a finding's title must not restyle the message.
var lookalike = strings.NewReplacer(
	"*", "\u2217", // ∗ asterisk operator
	"_", "\u02cd", // ˍ modifier letter low macron
	"~", "\u223c", // ∼ tilde operator
	"`", "\u02cb", // ˋ modifier letter grave accent
)

// entities are the three characters Slack requires escaped in any text.
var entities = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Text makes outside text safe as mrkdwn: one line, printable, at most max
// characters before escaping, no link, mention or emphasis it could form.
func Text(s string, max int) string {
	s = lookalike.Replace(line(s, max))
	s = strings.ReplaceAll(s, "://", "[:]//")
	return entities.Replace(s)
}

// Code makes an outside identifier safe inside a code span, where Slack
// applies no formatting: a backtick would end the span early, and a URL is
// defanged as in Text.
func Code(s string, max int) string {
	s = strings.ReplaceAll(line(s, max), "`", "\u02cb")
	s = strings.ReplaceAll(s, "://", "[:]//")
	if s == "" {
		return ""
	}
	return "`" + entities.Replace(s) + "`"
}

// line makes s one line of printable characters, whitespace runs
// collapsed, cut at max characters with an ellipsis.
func line(s string, max int) string {
	s = collapse(strings.ToValidUTF8(s, "\uFFFD"))
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return trimToRunes(s, max-1) + "…"
}

// collapse is s with its whitespace and unprintable runs as single
// spaces, and none at either end.
func collapse(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }), " ")
}

func trimToRunes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}
