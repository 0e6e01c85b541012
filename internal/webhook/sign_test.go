package webhook

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestSignPassesTheIntakeCheck: what Sign produces is what HMAC accepts,
// and the independent sign helper of these tests agrees with it.
func TestSignPassesTheIntakeCheck(t *testing.T) {
	h := NewHMAC([]string{"old-key", testKey}, 5*time.Minute, func() time.Time { return signNow })
	body := `{"rule":"r"}`
	nonces := map[string]bool{}
	for range 2 {
		req := httptest.NewRequest(http.MethodPost, "/falco/webhook", strings.NewReader(body))
		if err := Sign(req.Header, []byte(testKey), []byte(body), signNow); err != nil {
			t.Fatal(err)
		}
		ts, nonce := req.Header.Get(HeaderTimestamp), req.Header.Get(HeaderNonce)
		if req.Header.Get(HeaderSignature) != sign(testKey, ts, nonce, body) {
			t.Fatal("Sign disagrees with the scheme in the README")
		}
		if nonces[nonce] {
			t.Fatal("Sign reused a nonce")
		}
		nonces[nonce] = true
		if id, err := h.Body(req, []byte(body)); err != nil || id != Identity("hmac:"+hexPrefix(testKey)) {
			t.Fatalf("signed request refused: %v %v", id, err)
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/falco/webhook", nil)
	if err := Sign(req.Header, []byte("wrong"), []byte(body), signNow); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Body(req, []byte(body)); err == nil || err.Reason != AuthInvalidSignature {
		t.Fatalf("wrong key: got %v", err)
	}
}
