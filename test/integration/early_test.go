package integration

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/webhook"
)

// TestRefusalsComeBeforeTheBody sends, over raw connections to the real
// daemon, requests that declare a body but send none (or a sliver of a
// huge one), and whose headers already decide the answer. Each must be
// answered without zen-watcher waiting for the body, and the connection
// closed. The bound is a generous read deadline, not a timing assertion:
// a server that waited for the body would wait for its 30 s read timeout.
func TestRefusalsComeBeforeTheBody(t *testing.T) {
	const key = "early-hmac-key"
	d := startWebhookDaemon(t, func(c *config.Config) { c.Webhooks.HMACSecret = key })
	signedHeaders := func(ts time.Time, sig string) string {
		nonce := fmt.Sprintf("early-nonce-%d", time.Now().UnixNano())
		tss := strconv.FormatInt(ts.Unix(), 10)
		if sig == "" {
			m := hmac.New(sha256.New, []byte(key))
			m.Write([]byte(tss + "." + nonce + "."))
			sig = "sha256=" + hex.EncodeToString(m.Sum(nil))
		}
		return webhook.HeaderTimestamp + ": " + tss + "\r\n" + webhook.HeaderNonce + ": " + nonce + "\r\n" + webhook.HeaderSignature + ": " + sig + "\r\n"
	}
	const declared = 1_000_000 // within the Falco limit, over what net/http would read for us
	for _, tc := range []struct {
		name, path, headers string
		length              int64
		send                int // body bytes sent
		status              int
	}{
		{"no credentials", "/falco/webhook", "", declared, 0, 401},
		{"wrong bearer token", "/falco/webhook", "Authorization: Bearer not-the-token\r\n", declared, 0, 401},
		{"timestamp outside the skew", "/falco/webhook", signedHeaders(time.Now().Add(-time.Hour), ""), declared, 0, 401},
		{"malformed signature", "/falco/webhook", signedHeaders(time.Now(), "sha256=xyz"), declared, 0, 401},
		{"Content-Length over the limit", "/falco/webhook", "Authorization: Bearer " + webhookToken + "\r\n", 2 << 20, 0, 413},
		{"512 MiB announced, 64 KiB sent", "/audit/webhook", "Authorization: Bearer " + webhookToken + "\r\n", 512 << 20, 64 << 10, 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", strings.TrimPrefix(d.url, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if err := conn.SetDeadline(time.Now().Add(20 * time.Second)); err != nil {
				t.Fatal(err)
			}
			head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: zen\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n", tc.path, tc.length, tc.headers)
			if _, err := io.WriteString(conn, head); err != nil {
				t.Fatal(err)
			}
			if tc.send > 0 {
				// The server may answer and close while this is written.
				go func() { _, _ = conn.Write(make([]byte, tc.send)) }()
			}
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("no answer before the body (deadline 20 s): %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if !resp.Close {
				t.Error("the answer does not announce Connection: close")
			}
			// The connection is closed: a read ends, it does not time out.
			if _, err := br.ReadByte(); !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !isReset(err) {
				t.Errorf("connection still open after the answer: %v", err)
			}
		})
	}
}

// isReset reports a connection reset by the peer, which is a close too.
func isReset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }
