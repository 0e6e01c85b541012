package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

const testKey = "k3y-for-tests"

var signNow = time.Unix(1_800_000_000, 0)

func sign(key, ts, nonce, body string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(ts + "." + nonce + "." + body))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// signedPost is a request signed with key at time at.
func signedPost(key string, at time.Time, nonce, body string) *http.Request {
	ts := strconv.FormatInt(at.Unix(), 10)
	req := httptest.NewRequest(http.MethodPost, "/test/webhook", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, sign(key, ts, nonce, body))
	return req
}

func newSigned(t *testing.T) *testIntake {
	return newTestIntake(t, NewHMAC([]string{"old-key", testKey}, 5*time.Minute, func() time.Time { return signNow }), 10, &recorder{})
}

func TestSignedRequests(t *testing.T) {
	nonce := "0123456789abcdef"
	tamper := func(r *http.Request, name, value string) *http.Request {
		if value == "" {
			r.Header.Del(name)
		} else {
			r.Header.Set(name, value)
		}
		return r
	}
	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
		reason string
	}{
		{"valid", signedPost(testKey, signNow, nonce, "a"), 202, ""},
		{"valid with the older key", signedPost("old-key", signNow, nonce, "a"), 202, ""},
		{"at the edge of the skew", signedPost(testKey, signNow.Add(-5*time.Minute), nonce, "a"), 202, ""},
		{"unsigned", post("a", "Authorization", ""), 401, AuthMissingSignature},
		{"wrong key", signedPost("other", signNow, nonce, "a"), 401, AuthInvalidSignature},
		{"body changed", func() *http.Request {
			r := signedPost(testKey, signNow, nonce, "a")
			return tamper(r, HeaderSignature, sign(testKey, strconv.FormatInt(signNow.Unix(), 10), nonce, "b"))
		}(), 401, AuthInvalidSignature},
		{"too old", signedPost(testKey, signNow.Add(-6*time.Minute), nonce, "a"), 401, AuthTimestampSkew},
		{"from the future", signedPost(testKey, signNow.Add(6*time.Minute), nonce, "a"), 401, AuthTimestampSkew},
		{"milliseconds", tamper(signedPost(testKey, signNow, nonce, "a"), HeaderTimestamp, strconv.FormatInt(signNow.UnixMilli(), 10)), 401, AuthTimestampSkew},
		{"timestamp not a number", tamper(signedPost(testKey, signNow, nonce, "a"), HeaderTimestamp, "yesterday"), 401, AuthMalformedTimestamp},
		{"timestamp with a fraction", tamper(signedPost(testKey, signNow, nonce, "a"), HeaderTimestamp, "1800000000.5"), 401, AuthMalformedTimestamp},
		{"nonce too short", signedPost(testKey, signNow, "short", "a"), 401, AuthMalformedNonce},
		{"nonce too long", signedPost(testKey, signNow, strings.Repeat("n", 129), "a"), 401, AuthMalformedNonce},
		{"nonce with a space", signedPost(testKey, signNow, "0123456789 abcdef", "a"), 401, AuthMalformedNonce},
		{"nonce with odd bytes", signedPost(testKey, signNow, "0123456789abcdef\x00\xff", "a"), 401, AuthMalformedNonce},
		{"signature without prefix", tamper(signedPost(testKey, signNow, nonce, "a"), HeaderSignature, strings.Repeat("ab", 32)), 401, AuthMalformedSignature},
		{"signature in base64", tamper(signedPost(testKey, signNow, nonce, "a"), HeaderSignature, "sha256=q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA="), 401, AuthMalformedSignature},
		{"signature too short", tamper(signedPost(testKey, signNow, nonce, "a"), HeaderSignature, "sha256=abcd"), 401, AuthMalformedSignature},
		{"signature empty", tamper(signedPost(testKey, signNow, nonce, "a"), HeaderSignature, "sha256="), 401, AuthMalformedSignature},
		{"signature overlong", tamper(signedPost(testKey, signNow, nonce, "a"), HeaderSignature, "sha256="+strings.Repeat("a", 10_000)), 401, AuthMalformedSignature},
		{"signature repeated", func() *http.Request {
			r := signedPost(testKey, signNow, nonce, "a")
			r.Header.Add(HeaderSignature, r.Header.Get(HeaderSignature))
			return r
		}(), 401, AuthMalformedSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ti := newSigned(t)
			rec := ti.do(tc.req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.reason != "" {
				if p := decodeProblem(t, rec); p.Reason != tc.reason {
					t.Errorf("reason %q, want %q", p.Reason, tc.reason)
				}
			}
			for _, secret := range []string{testKey, "old-key", tc.req.Header.Get(HeaderSignature)} {
				if len(secret) > 10 && (strings.Contains(rec.Body.String(), secret) || strings.Contains(ti.logs.String(), secret)) {
					t.Errorf("a secret or signature leaked: %q", secret)
				}
			}
		})
	}
}

func TestReplayIsRefused(t *testing.T) {
	ti := newSigned(t)
	nonce := "replay-nonce-0001"
	if rec := ti.do(signedPost(testKey, signNow, nonce, "a")); rec.Code != 202 {
		t.Fatalf("first: %d %s", rec.Code, rec.Body)
	}
	rec := ti.do(signedPost(testKey, signNow, nonce, "a"))
	if rec.Code != 401 || decodeProblem(t, rec).Reason != AuthReplayed {
		t.Fatalf("replay: %d %s", rec.Code, rec.Body)
	}
	// A forged request cannot use a nonce up.
	ti.do(signedPost("forger", signNow, "fresh-nonce-00001", "a"))
	if rec := ti.do(signedPost(testKey, signNow, "fresh-nonce-00001", "a")); rec.Code != 202 {
		t.Errorf("a nonce burnt by a bad signature: %d %s", rec.Code, rec.Body)
	}
}

func TestTokenOrHMAC(t *testing.T) {
	auth := AnyOf{Tokens: NewTokens([]string{testToken}), HMAC: NewHMAC([]string{testKey}, 5*time.Minute, func() time.Time { return signNow })}
	ti := newTestIntake(t, auth, 10, &recorder{})
	for _, tc := range []struct {
		name string
		req  *http.Request
		want int
	}{
		{"token", post("a"), 202},
		{"signature", signedPost(testKey, signNow, "either-nonce-0001", "a"), 202},
		{"neither", post("a", "Authorization", ""), 401},
		{"bad signature with a good token", func() *http.Request {
			r := signedPost("other", signNow, "either-nonce-0002", "a")
			r.Header.Set("Authorization", "Bearer "+testToken)
			return r
		}(), 401},
	} {
		if rec := ti.do(tc.req); rec.Code != tc.want {
			t.Errorf("%s: %d, want %d: %s", tc.name, rec.Code, tc.want, rec.Body)
		}
	}
}

func FuzzSignatureHeaders(f *testing.F) {
	ts := strconv.FormatInt(signNow.Unix(), 10)
	f.Add(ts, "0123456789abcdef", sign(testKey, ts, "0123456789abcdef", "body"), "body")
	f.Add("", "", "", "")
	f.Add("1e9", "\x00\x01", "sha256=zz", "x")
	f.Add(ts, strings.Repeat("n", 200), "SHA256="+strings.Repeat("A", 64), "")
	h := NewHMAC([]string{testKey}, 5*time.Minute, func() time.Time { return signNow })
	f.Fuzz(func(t *testing.T, ts, nonce, sig, body string) {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header[HeaderTimestamp] = []string{ts}
		r.Header[HeaderNonce] = []string{nonce}
		r.Header[HeaderSignature] = []string{sig}
		_, _, herr := h.Headers(r)
		id, berr := h.Body(r, []byte(body))
		if herr != nil && berr == nil {
			t.Fatal("Body accepted what Headers refused")
		}
		if berr == nil && (id == "" || sig != sign(testKey, ts, nonce, body) && !strings.EqualFold(sig[7:], sign(testKey, ts, nonce, body)[7:])) {
			t.Fatalf("accepted a request not signed with the key: %q %q %q", ts, nonce, sig)
		}
		for _, e := range []*AuthError{herr, berr} {
			if e != nil && (e.Reason == "" || strings.Contains(e.Detail, testKey)) {
				t.Fatalf("bad refusal %+v", e)
			}
		}
	})
}
