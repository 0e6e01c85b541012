package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/kube-zen/zen-watcher/internal/webhook"
)

// maxAnswer bounds what the plugin reads of any answer.
const maxAnswer = 4 << 20

// Client talks to one zen-watcher.
type Client struct {
	// Base is the server's URL, e.g. http://127.0.0.1:8080.
	Base string
	// Token, when set, is the bearer token of webhook posts.
	Token string
	// AdminToken, when set, is the Kubernetes bearer token of GET requests:
	// the admin API (/api/v1/tools) and a protected /metrics review it
	// with TokenReview and refuse a webhook token.
	AdminToken string
	// HMACKey, when set, signs webhook posts.
	HMACKey []byte
	// HTTP is the client to use; its Timeout bounds each request.
	HTTP *http.Client
	// Now is the clock signatures are stamped with.
	Now func() time.Time
}

// Answer is a server's reply.
type Answer struct {
	Status      int
	ContentType string
	Body        []byte
}

// OK reports a 2xx status.
func (a *Answer) OK() bool { return a.Status >= 200 && a.Status < 300 }

// Post sends body to path (e.g. /falco/webhook), signed when HMACKey is set.
func (c *Client) Post(ctx context.Context, path string, body []byte) (*Answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Base+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("building request to %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if len(c.HMACKey) > 0 {
		if err := webhook.Sign(req.Header, c.HMACKey, body, c.now()); err != nil {
			return nil, fmt.Errorf("signing request to %s: %w", path, err)
		}
	}
	return c.do(req)
}

// Get fetches path.
func (c *Client) Get(ctx context.Context, path string) (*Answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Base+path, nil)
	if err != nil {
		return nil, fmt.Errorf("building request to %s: %w", path, err)
	}
	if c.AdminToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.AdminToken)
	}
	return c.do(req)
}

func (c *Client) do(req *http.Request) (*Answer, error) {
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, fmt.Errorf("reading the answer to %s %s: %w", req.Method, req.URL.Path, err)
	}
	return &Answer{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Body: body}, nil
}

func (c *Client) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

// Readiness is the answer of /ready: the status, each unmet check with its
// reason, and each degraded one (a forbidden source) with its reason.
type Readiness struct {
	Ready    bool
	Status   string            `json:"status"`
	Missing  map[string]string `json:"missing"`
	Degraded map[string]string `json:"degraded"`
}

// Ready reads /ready, whose JSON names every unmet and degraded check
// (/ready?verbose is the same as plain text lines).
func (c *Client) Ready(ctx context.Context) (*Readiness, error) {
	a, err := c.Get(ctx, "/ready")
	if err != nil {
		return nil, err
	}
	var r Readiness
	if err := json.Unmarshal(a.Body, &r); err != nil {
		return nil, fmt.Errorf("/ready answered %d with no JSON: %w", a.Status, err)
	}
	r.Ready = a.Status == http.StatusOK
	return &r, nil
}

// Tool is one entry of /api/v1/tools.
type Tool struct {
	Tool        string `json:"tool"`
	State       string `json:"state"`
	Active      bool   `json:"active"`
	Namespace   string `json:"namespace"`
	PodsRunning int    `json:"podsRunning"`
	Reason      string `json:"reason"`
}

// Tools reads /api/v1/tools. A 401 or 403 comes back as *StatusError.
func (c *Client) Tools(ctx context.Context) ([]Tool, error) {
	a, err := c.Get(ctx, "/api/v1/tools")
	if err != nil {
		return nil, err
	}
	if !a.OK() {
		return nil, &StatusError{Path: "/api/v1/tools", Answer: a}
	}
	var out struct {
		Tools []Tool `json:"tools"`
	}
	if err := json.Unmarshal(a.Body, &out); err != nil {
		return nil, fmt.Errorf("decoding /api/v1/tools: %w", err)
	}
	return out.Tools, nil
}

// Version reads the version label of zen_watcher_build_info from /metrics.
func (c *Client) Version(ctx context.Context) (string, error) {
	a, err := c.Get(ctx, "/metrics")
	if err != nil {
		return "", err
	}
	if !a.OK() {
		return "", &StatusError{Path: "/metrics", Answer: a}
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(a.Body))
	if err != nil {
		return "", fmt.Errorf("parsing /metrics: %w", err)
	}
	if mf := families["zen_watcher_build_info"]; mf != nil && len(mf.GetMetric()) > 0 {
		for _, l := range mf.GetMetric()[0].GetLabel() {
			if l.GetName() == "version" {
				return l.GetValue(), nil
			}
		}
	}
	return "", fmt.Errorf("/metrics has no zen_watcher_build_info")
}

// StatusError is a non-2xx answer.
type StatusError struct {
	Path   string
	Answer *Answer
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s answered %d: %s", e.Path, e.Answer.Status, strings.TrimSpace(string(e.Answer.Body)))
}
