package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Headers of a signed request.
const (
	HeaderTimestamp = "X-Zen-Timestamp"
	HeaderNonce     = "X-Zen-Nonce"
	HeaderSignature = "X-Signature"
)

// Reasons a signed request is refused, as the reason label of
// zen_watcher_webhook_auth_failures_total.
const (
	AuthMissingSignature   = "missing-signature"
	AuthMalformedSignature = "malformed-signature"
	AuthMalformedTimestamp = "malformed-timestamp"
	AuthMalformedNonce     = "malformed-nonce"
	AuthTimestampSkew      = "timestamp-skew"
	AuthInvalidSignature   = "invalid-signature"
	AuthReplayed           = "replayed-nonce"
	AuthNonceCacheFull     = "nonce-cache-full"
)

// Nonce bounds, in bytes.
const (
	minNonce = 16
	maxNonce = 128
)

// HMAC accepts requests signed with one of its keys: X-Signature is
// "sha256=" and the hex of HMAC-SHA256(key, timestamp + "." + nonce + "." +
// body), X-Zen-Timestamp is unix seconds within maxSkew of now, and
// X-Zen-Nonce, 16 to 128 visible ASCII characters, is not one seen within
// the skew window. Several keys are accepted at once, so a key is rotated
// without downtime.
type HMAC struct {
	keys    atomic.Pointer[[]hmacKey]
	maxSkew time.Duration
	now     func() time.Time
	nonces  *NonceCache
}

// NewHMAC accepts signatures by any of keys, remembering nonces in a cache
// of its own of DefaultMaxNonces; UseNonces shares one instead.
func NewHMAC(keys []string, maxSkew time.Duration, now func() time.Time) *HMAC {
	h := &HMAC{maxSkew: maxSkew, now: now, nonces: NewNonceCache(DefaultMaxNonces)}
	h.SetKeys(keys)
	return h
}

// UseNonces makes h remember nonces in c, before it serves. Endpoints
// that share keys must share the cache too: the signature does not cover
// the path, so a nonce used on one must be a replay on the other.
func (h *HMAC) UseNonces(c *NonceCache) { h.nonces = c }

// hmacKey is one key and the fingerprint that names it as a sender.
type hmacKey struct {
	key []byte
	id  Identity
}

// SetKeys replaces the accepted keys: the raw bytes of each string.
func (h *HMAC) SetKeys(keys []string) {
	k := make([]hmacKey, len(keys))
	for i, key := range keys {
		k[i] = hmacKey{key: []byte(key), id: Identity("hmac:" + fingerprint(sha256.Sum256([]byte(key))))}
	}
	h.keys.Store(&k)
}

// signed is what the headers of a signed request say.
type signed struct {
	ts    int64
	nonce string
	mac   []byte
}

// Headers checks everything but the signature itself: headers present
// and well-formed, and the timestamp within the skew, so that a request
// that cannot pass is refused before its body is read.
func (h *HMAC) Headers(r *http.Request) (Identity, bool, *AuthError) {
	_, err := h.parse(r)
	return "", false, err
}

// Body verifies the signature over the body in constant time, then
// remembers the nonce: only a correctly signed request can use one up.
func (h *HMAC) Body(r *http.Request, body []byte) (Identity, *AuthError) {
	s, err := h.parse(r)
	if err != nil {
		return "", err
	}
	var who Identity
	for _, key := range *h.keys.Load() {
		if hmac.Equal(signature(key.key, r.Header.Get(HeaderTimestamp), s.nonce, body), s.mac) {
			who = key.id
		}
	}
	if who == "" {
		return "", &AuthError{Reason: AuthInvalidSignature, Detail: "the signature does not match the body with any key this zen-watcher holds"}
	}
	switch outcome, wait := h.nonces.add(s.nonce, time.Unix(s.ts, 0).Add(h.maxSkew), h.maxSkew, h.now()); outcome {
	case errReplayed:
		return "", &AuthError{Reason: AuthReplayed, Detail: "this nonce was used already within the timestamp window: a replay"}
	case errCacheFull:
		// Not the sender's fault: the request is valid and is refused only
		// for want of room, so it is told to come back, not that it failed.
		return "", &AuthError{Reason: AuthNonceCacheFull, RetryAfter: wait,
			Detail: "too many signed requests within the timestamp window to remember their nonces; retry after the Retry-After delay"}
	}
	return who, nil
}

// parse reads and checks the three headers; every failure names what to fix.
func (h *HMAC) parse(r *http.Request) (signed, *AuthError) {
	sig, sigOK := single(r, HeaderSignature)
	ts, tsOK := single(r, HeaderTimestamp)
	nonce, nonceOK := single(r, HeaderNonce)
	if sig == "" && ts == "" && nonce == "" && sigOK && tsOK && nonceOK {
		return signed{}, &AuthError{Reason: AuthMissingSignature, Detail: "sign the request: send " + HeaderTimestamp + ", " + HeaderNonce + " and " + HeaderSignature + " (see the README)"}
	}
	hexMAC, hasPrefix := strings.CutPrefix(sig, "sha256=")
	mac, err := hex.DecodeString(hexMAC)
	if !sigOK || !hasPrefix || err != nil || len(mac) != sha256.Size {
		return signed{}, &AuthError{Reason: AuthMalformedSignature, Detail: "want exactly one header " + HeaderSignature + ": sha256=<64 lowercase or uppercase hex digits>"}
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if !tsOK || err != nil || secs < 0 {
		return signed{}, &AuthError{Reason: AuthMalformedTimestamp, Detail: "want exactly one header " + HeaderTimestamp + ": the unix time in whole seconds"}
	}
	if !nonceOK || len(nonce) < minNonce || len(nonce) > maxNonce || !visibleASCII(nonce) {
		return signed{}, &AuthError{Reason: AuthMalformedNonce, Detail: "want exactly one header " + HeaderNonce + ": 16 to 128 visible ASCII characters, new for every request"}
	}
	now := h.now()
	if d := now.Sub(time.Unix(secs, 0)); d > h.maxSkew || d < -h.maxSkew {
		detail := "the timestamp is more than " + h.maxSkew.String() + " from this zen-watcher's clock"
		if secs > 1e11 {
			detail += "; it looks like milliseconds, want seconds"
		}
		return signed{}, &AuthError{Reason: AuthTimestampSkew, Detail: detail}
	}
	return signed{ts: secs, nonce: nonce, mac: mac}, nil
}

// single returns the one value of a header, and false when it is repeated.
func single(r *http.Request, name string) (string, bool) {
	v := r.Header.Values(name)
	switch len(v) {
	case 0:
		return "", true
	case 1:
		return v[0], true
	}
	return "", false
}

func visibleASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
