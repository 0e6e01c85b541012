package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/filewatch"
)

// accepts reports whether c takes token as a bearer token.
func accepts(c *credentials, token string) bool {
	r := httptest.NewRequest("POST", "/", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	_, err := c.tokens.Body(r, nil)
	return err == nil
}

// TestCredentialsPerEndpoint: each endpoint accepts the shared tokens and
// its own, never the other's, and a shared file re-read updates both.
func TestCredentialsPerEndpoint(t *testing.T) {
	dir := t.TempDir()
	shared := filepath.Join(dir, "shared")
	if err := os.WriteFile(shared, []byte("shared-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	files := &fileErrors{}
	falcoCreds, auditCreds := loadCredentials(config.Webhooks{TokenFile: shared,
		Falco: config.EndpointCredentials{Token: "falco-only"}, Audit: config.EndpointCredentials{Token: "audit-only"}}, files, slog.New(slog.DiscardHandler))
	if err := files.err(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		c     *credentials
		token string
		want  bool
	}{
		{falcoCreds, "shared-1", true}, {falcoCreds, "falco-only", true}, {falcoCreds, "audit-only", false},
		{auditCreds, "shared-1", true}, {auditCreds, "audit-only", true}, {auditCreds, "falco-only", false},
	} {
		if got := accepts(tc.c, tc.token); got != tc.want {
			t.Errorf("%s accepted: %v, want %v", tc.token, got, tc.want)
		}
	}
	if len(files.watches) != 1 || files.watches[0].Paths()[0] != shared {
		t.Fatalf("watches %+v, want the shared file only", files.watches)
	}
	if err := os.WriteFile(shared, []byte("shared-2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w := filewatch.NewWatcher(time.Millisecond, filewatch.NewMetrics(prometheus.NewRegistry()), slog.New(slog.DiscardHandler))
	w.Add(files.watches...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	for deadline := time.Now().Add(5 * time.Second); accepts(auditCreds, "shared-1") && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	for _, c := range []*credentials{falcoCreds, auditCreds} {
		if accepts(c, "shared-1") || !accepts(c, "shared-2") {
			t.Error("the shared token was not rotated on both endpoints")
		}
	}
	if !accepts(falcoCreds, "falco-only") || accepts(falcoCreds, "audit-only") {
		t.Error("rotating the shared token changed what is Falco's own")
	}
}

// TestUnreadableFilesAreReportedTogether: every unreadable credential
// file is one problem of one configuration error.
func TestUnreadableFilesAreReportedTogether(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	files := &fileErrors{}
	loadCredentials(config.Webhooks{TokenFile: missing, Falco: config.EndpointCredentials{HMACSecretFile: missing},
		Audit: config.EndpointCredentials{TokenFile: missing}}, files, slog.New(slog.DiscardHandler))
	err := files.err()
	var ce *config.Error
	if !errors.As(err, &ce) || len(ce.Problems) != 3 {
		t.Fatalf("want 3 problems, got %v", err)
	}
	for _, name := range []string{"WEBHOOK_TOKEN_FILE", "FALCO_HMAC_SECRET_FILE", "AUDIT_WEBHOOK_TOKEN_FILE"} {
		if !strings.Contains(err.Error(), name+"=") {
			t.Errorf("the error does not name %s: %v", name, err)
		}
	}
}

// TestSecretFiles: one secret a line or comma-separated; a file of none is
// an error that names the file and never a secret.
func TestSecretFiles(t *testing.T) {
	got, err := parseSecrets([]byte("a, b\n\n c\n"), "/f", "webhook token")
	if err != nil || strings.Join(got, " ") != "a b c" {
		t.Errorf("got %q, %v", got, err)
	}
	for _, empty := range []string{"", "\n", " , \n"} {
		if _, err := parseSecrets([]byte(empty), "/f", "webhook token"); err == nil || err.Error() != "the webhook token file /f holds none" {
			t.Errorf("%q: %v", empty, err)
		}
	}
}
