package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"
)

// signature is the HMAC-SHA256, under key, of "<timestamp>.<nonce>.<body>":
// what a sender signs and what HMAC.Body checks, in one place so the two
// can never drift apart.
func signature(key []byte, ts, nonce string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write([]byte(nonce))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Sign sets the headers that make r, with this body, pass HMAC
// authentication under key: the timestamp (unix seconds of now), a fresh
// random nonce and the signature. Senders such as kubectl zen use it.
func Sign(h http.Header, key []byte, body []byte, now time.Time) error {
	var n [16]byte
	if _, err := rand.Read(n[:]); err != nil {
		return err
	}
	nonce := hex.EncodeToString(n[:])
	ts := strconv.FormatInt(now.Unix(), 10)
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderNonce, nonce)
	h.Set(HeaderSignature, "sha256="+hex.EncodeToString(signature(key, ts, nonce, body)))
	return nil
}
