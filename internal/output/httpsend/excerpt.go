package httpsend

import (
	"encoding/json"
	"mime"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxExcerpt bounds the excerpt of an answer kept in an error, in bytes:
// it ends up in a status field and a log line.
const MaxExcerpt = 512

// problem is what an excerpt reads of an RFC 7807 problem document.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Reason string `json:"reason"` // zen-watcher's own intake names its problems
	Errors []struct {
		Pointer string `json:"pointer"`
		Detail  string `json:"detail"`
	} `json:"errors"`
}

// Excerpt summarises an answer's body for an error message, whatever it
// holds: the title, detail, reason and first item error of a problem
// document (application/problem+json, or any JSON with those members),
// else the body's start. The result is valid UTF-8 of printable
// characters on one line, at most MaxExcerpt bytes.
func Excerpt(contentType string, body []byte) string {
	s, _ := summarise(contentType, body)
	return s
}

// summarise returns the excerpt of an answer and, for a problem document,
// its type (a URI, cleaned like the excerpt).
func summarise(contentType string, body []byte) (excerpt, problemType string) {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/problem+json" || mt == "application/json" || strings.HasSuffix(mt, "+json") {
		var p problem
		if json.Unmarshal(body, &p) == nil && (p.Title != "" || p.Detail != "") {
			parts := make([]string, 0, 4)
			for _, s := range []string{p.Title, p.Detail} {
				if s != "" {
					parts = append(parts, s)
				}
			}
			s := strings.Join(parts, ": ")
			if p.Reason != "" {
				s += " (" + p.Reason + ")"
			}
			if len(p.Errors) > 0 {
				e := p.Errors[0]
				s += "; " + strings.TrimSpace(e.Pointer+" "+e.Detail)
			}
			return clean(s), clean(p.Type)
		}
	}
	return clean(string(body)), ""
}

// clean makes s printable on one line and cuts it at MaxExcerpt bytes on
// a character boundary: the answer is outside input.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			space = b.Len() > 0
			continue
		}
		n := utf8.RuneLen(r)
		if space {
			n++
		}
		if b.Len()+n > MaxExcerpt-len("…") {
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
