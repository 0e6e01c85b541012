package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/kube-zen/zen-watcher/internal/output"
	"github.com/kube-zen/zen-watcher/internal/output/httpsend"
)

// Config is what one Slack output needs; the ZenOutput controller fills it
// from the spec and the Secret holding the webhook URL.
type Config struct {
	// URL is the incoming webhook's URL; it is the credential.
	URL string
	// URLFrom, when set, gives the URL at every Notify instead of URL, so
	// that a rotated Secret applies at once (the Secret reader caches it
	// for a few seconds). Its error is retried.
	URLFrom func(ctx context.Context) (string, error)
	// Cluster names this cluster in every message.
	Cluster string
	// Client sends the requests; its Timeout bounds one.
	Client *http.Client
	// Now is the clock Retry-After dates are read against; time.Now when nil.
	Now func() time.Time
}

// Notifier posts batches of findings to one Slack incoming webhook; it
// implements output.Notifier.
type Notifier struct {
	cfg Config
	url *url.URL
}

var _ output.Notifier = (*Notifier)(nil)

// New checks cfg and returns its notifier. Errors never show the URL past
// its host.
func New(cfg Config) (*Notifier, error) {
	var errs []error
	var u *url.URL
	if cfg.URLFrom == nil {
		var err error
		if u, err = parseURL(cfg.URL); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.Client == nil {
		errs = append(errs, errors.New("client: required"))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("slack output: %w", errors.Join(errs...))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Notifier{cfg: cfg, url: u}, nil
}

// parseURL checks an incoming webhook's URL. Its errors never quote it:
// url.Parse's would, and the URL is the credential.
func parseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return nil, errors.New("url: not a URL")
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return nil, fmt.Errorf("url %s: want an absolute https URL (an incoming webhook's)", httpsend.Redact(u))
	}
	return u, nil
}

// Notify posts the batch as one message.
func (n *Notifier) Notify(ctx context.Context, batch []output.Delivery) (bool, error) {
	if len(batch) == 0 {
		return false, nil
	}
	u := n.url
	if n.cfg.URLFrom != nil {
		s, err := n.cfg.URLFrom(ctx)
		if err != nil {
			return true, fmt.Errorf("reading the Slack webhook URL: %w", err)
		}
		if u, err = parseURL(s); err != nil {
			return false, fmt.Errorf("the Slack webhook URL in the Secret: %w", err)
		}
	}
	body, err := json.Marshal(Message(n.cfg.Cluster, batch))
	if err != nil {
		return false, fmt.Errorf("encoding the Slack message: %w", err)
	}
	req, err := http.NewRequest(http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("building the request to %s: %w", httpsend.Redact(u), err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	return httpsend.Do(ctx, n.cfg.Client, req, n.cfg.Now)
}
