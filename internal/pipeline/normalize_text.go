package pipeline

import (
	"strings"
	"unicode"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// labelMaxLen is the longest Kubernetes label value, and the CRD limit on
// source and eventType.
const labelMaxLen = 63

// truncatedMarker ends every string that normalize shortened, so a reader of
// the event knows the value is not what the tool reported.
const truncatedMarker = "…[truncated]"

// sanitizeLabel turns s into a value matching
// ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ of at most 63 bytes, or "" when nothing
// usable is left. cut reports whether the length limit removed anything.
func sanitizeLabel(s string) (v string, cut bool) {
	if isLabelValue(s) {
		return s, false
	}
	b := make([]byte, 0, min(len(s), 2*labelMaxLen))
	for _, r := range s {
		r = unicode.ToLower(r)
		if isLabelAlnum(r) {
			b = append(b, byte(r))
		} else {
			b = append(b, '-')
		}
	}
	v = strings.Trim(string(b), "-")
	if len(v) > labelMaxLen {
		v, cut = strings.TrimRight(v[:labelMaxLen], "-"), true
	}
	return v, cut
}

// isLabelValue reports whether s already needs no change, the common case,
// so that it costs no allocation.
func isLabelValue(s string) bool {
	if s == "" || len(s) > labelMaxLen || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := rune(s[i]); !isLabelAlnum(c) && c != '-' {
			return false
		}
	}
	return true
}

func isLabelAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
}

// clampString fits s into MaxStringLength bytes; a shortened value ends in
// truncatedMarker.
func clampString(s string) (v string, cut bool) {
	return clampTo(s, zenv1.MaxStringLength)
}

// clampTo fits s into n bytes; a shortened value ends in truncatedMarker.
func clampTo(s string, n int) (v string, cut bool) {
	v, cut = finding.FitUTF8(s, n)
	if !cut {
		return v, false
	}
	v, _ = finding.FitUTF8(v, n-len(truncatedMarker))
	return v + truncatedMarker, true
}

// clampLine makes s one line of at most n bytes: every run of white space
// and control characters becomes one space, so a multi-line tool message
// still reads as a table cell, and the ends are trimmed.
func clampLine(s string, n int) (v string, cut bool) {
	if isLine(s) {
		return clampTo(s, n)
	}
	var b strings.Builder
	b.Grow(min(len(s), n+len(truncatedMarker)))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
		if b.Len() > 4*n {
			break // far past the limit: the rest would be cut anyway
		}
	}
	v, cut = clampTo(b.String(), n)
	return v, cut || b.Len() > 4*n
}

// isLine reports whether s needs no change by clampLine but perhaps a cut:
// no control characters, no white space but single inner spaces.
func isLine(s string) bool {
	prevSpace := true // a leading space is not a line
	for _, r := range s {
		switch {
		case r == ' ':
			if prevSpace {
				return false
			}
			prevSpace = true
		case unicode.IsSpace(r) || unicode.IsControl(r):
			return false
		default:
			prevSpace = false
		}
	}
	return s == "" || !prevSpace
}
