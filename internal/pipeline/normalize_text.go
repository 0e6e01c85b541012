package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

// labelMaxLen is the longest Kubernetes label value, and the CRD limit on
// source and eventType.
const labelMaxLen = 63

// Dedup key shortening: a prefix people can still read, then a hash of the
// whole key so two long keys that share the prefix stay two events. The
// prefix leaves room for the suffix so the result fits MaxStringLength bytes.
const (
	keyHashSep    = "…sha256:"
	keyHashHexLen = 16
	keyPrefixMax  = zenv1.MaxStringLength - len(keyHashSep) - keyHashHexLen
)

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

// fitUTF8 makes s valid UTF-8 (invalid bytes become U+FFFD, as JSON
// encoding would do anyway) and cuts it to at most n bytes on a rune
// boundary. cut reports whether anything was removed.
func fitUTF8(s string, n int) (v string, cut bool) {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= n {
		return s, false
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i], true
}

// clampString fits s into MaxStringLength bytes; a shortened value ends in
// truncatedMarker.
func clampString(s string) (v string, cut bool) {
	return clampTo(s, zenv1.MaxStringLength)
}

// clampTo fits s into n bytes; a shortened value ends in truncatedMarker.
func clampTo(s string, n int) (v string, cut bool) {
	v, cut = fitUTF8(s, n)
	if !cut {
		return v, false
	}
	v, _ = fitUTF8(v, n-len(truncatedMarker))
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

// shortenKey returns key unchanged when it is valid UTF-8 of at most
// MaxStringLength bytes. Otherwise it returns a readable prefix plus a hash
// of the original bytes: deterministic, so every replica derives the same
// key, and distinct for distinct keys. Invalid UTF-8 is handled the same way
// because the API server would otherwise store a different key (with U+FFFD)
// than the one the event name was derived from, and two different invalid
// keys would collapse into one. long reports whether the key was too long.
func shortenKey(key string) (v string, long bool) {
	long = len(key) > zenv1.MaxStringLength
	if !long && utf8.ValidString(key) {
		return key, false
	}
	sum := sha256.Sum256([]byte(key))
	prefix, _ := fitUTF8(key, keyPrefixMax)
	return prefix + keyHashSep + hex.EncodeToString(sum[:])[:keyHashHexLen], long
}
