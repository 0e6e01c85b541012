package commands

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// maxPayload bounds what send reads: zen-watcher refuses larger bodies
// anyway (MAX_REQUEST_BYTES), and reading stdin must end.
const maxPayload = 16 << 20

// webhookPaths are the intake endpoints by source.
var webhookPaths = map[string]string{"falco": "/falco/webhook", "audit": "/audit/webhook"}

func newSend(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "send falco|audit FILE|-",
		Short: "Post a payload to zen-watcher's Falco or audit webhook and print the answer",
		Long: `Post a Falco alert (JSON or NDJSON) or an audit EventList to zen-watcher,
as Falco or the API server would. With --hmac-secret-file the request is
signed with zen-watcher's HMAC scheme (timestamp, fresh nonce, signature);
with --token-file it carries a bearer token. It goes to --url, else through
a port-forward to the zen-watcher Service. The answer is printed as sent,
problem details included; a refusal exits with status 1.`,
		Example: examples(
			"kubectl zen send falco alert.json --url http://127.0.0.1:8080 --token-file .run/webhook-token",
			"kubectl zen send audit events.json --hmac-secret-file hmac.key",
			`echo '{"rule":"Test rule","priority":"Warning","output":"test","time":"2026-01-01T00:00:00Z"}' | kubectl zen send falco -`),
		Args:      cobra.ExactArgs(2),
		ValidArgs: []string{"falco", "audit"},
		RunE: func(cmd *cobra.Command, args []string) error {
			path, ok := webhookPaths[args[0]]
			if !ok {
				return fmt.Errorf("unknown webhook %q: want falco or audit", args[0])
			}
			body, err := readPayload(args[1], o.Streams.In)
			if err != nil {
				return err
			}
			c, stop, err := o.daemonClient(cmd.Context())
			if err != nil {
				return err
			}
			defer stop()
			a, err := c.Post(cmd.Context(), path, body)
			if err != nil {
				return err
			}
			out := o.Streams.Out
			fmt.Fprintf(out, "%d %s\n", a.Status, path)
			var pretty bytes.Buffer
			if json.Indent(&pretty, a.Body, "", "  ") == nil {
				fmt.Fprintln(out, strings.TrimSpace(pretty.String()))
			} else if len(a.Body) > 0 {
				fmt.Fprintln(out, string(a.Body))
			}
			if !a.OK() {
				return &exitError{code: 1}
			}
			return nil
		},
	}
}

func readPayload(name string, stdin io.Reader) ([]byte, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("reading payload: %w", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxPayload+1))
	if err != nil {
		return nil, fmt.Errorf("reading payload %s: %w", name, err)
	}
	if len(b) > maxPayload {
		return nil, fmt.Errorf("payload %s is over %d MiB", name, maxPayload>>20)
	}
	return b, nil
}
