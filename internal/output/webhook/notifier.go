package webhook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"golang.org/x/net/http/httpguts"

	"github.com/kube-zen/zen-watcher/internal/output"
	"github.com/kube-zen/zen-watcher/internal/output/httpsend"
	intake "github.com/kube-zen/zen-watcher/internal/webhook"
)

// DefaultMaxBodyBytes bounds a batched request when Config.MaxBodyBytes
// is zero: well under a zen-watcher intake's smallest default body limit
// (1 MiB), with room for a large finding.
const DefaultMaxBodyBytes = 512 << 10

// reserved are the headers the output sets itself; Config.Headers may not
// name them, or a header map could undo the signature, the token or the
// body's description.
var reserved = []string{
	"Authorization", intake.HeaderSignature, intake.HeaderTimestamp, intake.HeaderNonce,
	intake.HeaderRequestID, "Content-Type", "Content-Length", "Content-Encoding",
	"Transfer-Encoding", "Host", "Connection",
}

// Config is what one webhook output needs; the ZenOutput controller fills
// it from the spec and the Secrets it names.
type Config struct {
	// URL receives the POSTs; http or https.
	URL string
	// HMACKey signs every request when set (X-Signature, X-Zen-Timestamp,
	// X-Zen-Nonce), as zen-watcher's intake verifies.
	HMACKey []byte
	// Token is sent as Authorization: Bearer when set.
	Token string
	// Credentials, when set, gives the HMAC key and token at every Notify
	// instead of HMACKey and Token, so that a rotated Secret applies at
	// once (the Secret reader caches it for a few seconds). Its error is
	// retried: a Secret deleted by mistake is put back.
	Credentials func(ctx context.Context) (hmacKey []byte, token string, err error)
	// Headers are added to every request; they may not name a header the
	// output sets itself.
	Headers map[string]string
	// Cluster is the CloudEvents source: this cluster's identity.
	Cluster string
	// Batch sends each Notify batch as few application/cloudevents-batch+json
	// requests instead of one request per event.
	Batch bool
	// MaxBodyBytes bounds a batched request; DefaultMaxBodyBytes when zero.
	// An event larger than it is sent alone.
	MaxBodyBytes int
	// Client sends the requests; its Timeout bounds one.
	Client *http.Client
	// Now is the clock of signatures and Retry-After dates; time.Now when nil.
	Now func() time.Time
}

// Notifier sends findings to one webhook; it implements output.Notifier.
type Notifier struct {
	cfg Config
	url *url.URL
}

var _ output.Notifier = (*Notifier)(nil)

// New checks cfg and returns its notifier. Every problem is reported at once.
func New(cfg Config) (*Notifier, error) {
	var errs []error
	u, err := url.Parse(cfg.URL)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("url: %w", err))
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		errs = append(errs, fmt.Errorf("url %s: want an absolute http or https URL", httpsend.Redact(u)))
	case u.User != nil:
		errs = append(errs, fmt.Errorf("url %s: credentials in the URL would be logged by proxies; use the token or HMAC key", httpsend.Redact(u)))
	}
	if cfg.Cluster == "" {
		errs = append(errs, errors.New("cluster: the CloudEvents source is required"))
	} else if _, err := url.Parse(cfg.Cluster); err != nil || strings.ContainsAny(cfg.Cluster, " \t\r\n") {
		errs = append(errs, fmt.Errorf("cluster %q: the CloudEvents source must be a URI reference", cfg.Cluster))
	}
	if strings.ContainsAny(cfg.Token, "\r\n") {
		errs = append(errs, errors.New("token: contains a line break"))
	}
	for name, value := range cfg.Headers {
		switch {
		case !httpguts.ValidHeaderFieldName(name):
			errs = append(errs, fmt.Errorf("header %q: not a valid header name", name))
		case !httpguts.ValidHeaderFieldValue(value):
			errs = append(errs, fmt.Errorf("header %s: the value holds control characters", name))
		case isReserved(name):
			errs = append(errs, fmt.Errorf("header %s: set by the output itself (signature, authentication or body framing); it cannot be overridden", name))
		}
	}
	if cfg.Client == nil {
		errs = append(errs, errors.New("client: required"))
	}
	if cfg.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Errorf("max body bytes %d: want zero (the default) or more", cfg.MaxBodyBytes))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("webhook output: %w", errors.Join(errs...))
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Notifier{cfg: cfg, url: u}, nil
}

func isReserved(name string) bool {
	for _, r := range reserved {
		if strings.EqualFold(name, r) {
			return true
		}
	}
	// ce-* are binary-mode attributes; in a structured request they would
	// contradict the body.
	return len(name) > 3 && strings.EqualFold(name[:3], "ce-")
}

// Notify sends the batch, in order. It stops at the first failure, so the
// engine's retry of the whole batch repeats only what this receiver may
// have taken already, and the ids let the receiver drop those.
func (n *Notifier) Notify(ctx context.Context, batch []output.Delivery) (bool, error) {
	events := make([]cloudevents.Event, 0, len(batch))
	for _, d := range batch {
		e, err := Event(n.cfg.Cluster, d)
		if err != nil {
			// The finding is as stored: a retry builds the same event.
			return false, err
		}
		events = append(events, e)
	}
	bodies, err := n.bodies(events)
	if err != nil {
		return false, err
	}
	key, token := n.cfg.HMACKey, n.cfg.Token
	if n.cfg.Credentials != nil {
		if key, token, err = n.cfg.Credentials(ctx); err != nil {
			return true, fmt.Errorf("reading the webhook's credentials: %w", err)
		}
		if strings.ContainsAny(token, "\r\n") {
			return false, errors.New("the webhook's token contains a line break")
		}
	}
	for _, b := range bodies {
		if retry, err := n.post(ctx, b.ctype, b.data, key, token); err != nil {
			if b.count > 1 || len(bodies) > 1 {
				err = fmt.Errorf("%d events: %w", b.count, err)
			}
			return retry, err
		}
	}
	return false, nil
}

// body is one request's payload.
type body struct {
	ctype string
	data  []byte
	count int
}

// bodies encodes events, one request each or batched within MaxBodyBytes.
func (n *Notifier) bodies(events []cloudevents.Event) ([]body, error) {
	out := make([]body, 0, 1)
	var cur [][]byte
	size := 0
	flush := func() {
		if len(cur) > 0 {
			out = append(out, body{ctype: MediaTypeBatch, data: batchJSON(cur), count: len(cur)})
			cur, size = nil, 0
		}
	}
	for _, e := range events {
		raw, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("encoding event %s: %w", e.ID(), err)
		}
		if !n.cfg.Batch {
			out = append(out, body{ctype: MediaTypeEvent, data: raw, count: 1})
			continue
		}
		// 2: the brackets, 1: a comma.
		if len(cur) > 0 && size+len(raw)+1+2 > n.cfg.MaxBodyBytes {
			flush()
		}
		cur = append(cur, raw)
		size += len(raw) + 1
	}
	flush()
	return out, nil
}

func batchJSON(items [][]byte) []byte {
	return append(append([]byte{'['}, bytes.Join(items, []byte{','})...), ']')
}

// inProgress is the problem type of a zen-watcher intake still storing the
// previous attempt of this very request.
const inProgress = "urn:zen-watcher:problem:request-id-in-progress"

func (n *Notifier) post(ctx context.Context, ctype string, data, key []byte, token string) (bool, error) {
	req, err := http.NewRequest(http.MethodPost, n.url.String(), bytes.NewReader(data))
	if err != nil {
		return false, fmt.Errorf("building the request to %s: %w", httpsend.Redact(n.url), err)
	}
	for name, value := range n.cfg.Headers {
		req.Header.Set(name, value)
	}
	req.Header.Set("Content-Type", ctype)
	sum := sha256.Sum256(data)
	req.Header.Set(intake.HeaderRequestID, "ce-"+hex.EncodeToString(sum[:16]))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if len(key) > 0 {
		if err := intake.Sign(req.Header, key, data, n.cfg.Now()); err != nil {
			return true, fmt.Errorf("signing: %w", err)
		}
	}
	retry, err := httpsend.Do(ctx, n.cfg.Client, req, n.cfg.Now)
	var se *httpsend.StatusError
	if errors.As(err, &se) && se.Code == http.StatusConflict && se.Problem == inProgress {
		return true, err
	}
	return retry, err
}
