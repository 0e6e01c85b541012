package finding

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode/utf8"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

// Dedup key shortening: a prefix people can still read, then a hash of the
// whole key so two long keys that share the prefix stay two events. The
// prefix leaves room for the suffix so the result fits MaxStringLength bytes.
const (
	// KeyHashSep separates a shortened key's prefix from its hash.
	KeyHashSep    = "…sha256:"
	keyHashHexLen = 16
	keyPrefixMax  = zenv1.MaxStringLength - len(KeyHashSep) - keyHashHexLen
)

// StoredKey is the dedup key as the pipeline stores it: key unchanged when
// it is valid UTF-8 of at most MaxStringLength bytes, otherwise a readable
// prefix plus a hash of the original bytes. It is deterministic, so every
// replica derives the same key, and distinct for distinct keys. Invalid
// UTF-8 is handled the same way because the API server would otherwise
// store a different key (with U+FFFD) than the one the event name was
// derived from, and two different invalid keys would collapse into one. A
// pull source compares what it reads with stored events through it. long
// reports whether the key was too long.
func StoredKey(key string) (v string, long bool) {
	long = len(key) > zenv1.MaxStringLength
	if !long && utf8.ValidString(key) {
		return key, false
	}
	sum := sha256.Sum256([]byte(key))
	prefix, _ := FitUTF8(key, keyPrefixMax)
	return prefix + KeyHashSep + hex.EncodeToString(sum[:])[:keyHashHexLen], long
}

// FitUTF8 makes s valid UTF-8 (invalid bytes become U+FFFD, as JSON
// encoding would do anyway) and cuts it to at most n bytes on a rune
// boundary. cut reports whether anything was removed.
func FitUTF8(s string, n int) (v string, cut bool) {
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
