package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/kube-zen/zen-watcher/test/fixtures"
)

// postWebhooks sends a Falco alert and an audit EventList the way Falco
// and the API server would, with the token `make run` generated.
func postWebhooks(watcher, tokenFile string) error {
	raw, err := os.ReadFile(tokenFile)
	if err != nil {
		return fmt.Errorf("reading the webhook token (is 'make run' running?): %w", err)
	}
	token := strings.TrimSpace(strings.SplitN(string(raw), "\n", 2)[0])
	client := &http.Client{Timeout: 10 * time.Second}
	for _, p := range []struct{ path, file string }{
		{"/falco/webhook", "falco/syscall_terminal_shell_in_container.json"},
		{"/falco/webhook", "falco/k8saudit_disallowed_user_403.json"},
		{"/audit/webhook", "k8s-audit/eventlist_ASSEMBLED_from_falco_traces.json"},
	} {
		body, err := fixtures.Read(p.file)
		if err != nil {
			return err
		}
		req, err := http.NewRequest(http.MethodPost, watcher+p.path, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("posting %s: %w", p.file, err)
		}
		answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			return fmt.Errorf("posting %s to %s: %s: %s", p.file, p.path, resp.Status, answer)
		}
		fmt.Printf("demo: posted %s to %s: %s", p.file, p.path, answer)
	}
	return nil
}
