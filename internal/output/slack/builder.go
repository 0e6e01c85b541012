package slack

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/output"
)

// requestTimeout bounds one post to Slack.
const requestTimeout = 30 * time.Second

// Builder makes the notifier of a ZenOutput's spec.slack, for the cluster
// cluster names. The webhook URL is read from its Secret now, so that a
// missing, forbidden or malformed one is the output's Ready reason, and
// again at every send, so that a rotation applies at once.
func Builder(cluster func(context.Context) (string, error)) output.Builder {
	return func(ctx context.Context, o *v1alpha1.ZenOutput, secrets output.Secrets) (output.Notifier, error) {
		spec := o.Spec.Slack
		if spec == nil {
			return nil, errors.New("spec.slack is not set")
		}
		name, err := cluster(ctx)
		if err != nil {
			return nil, err
		}
		urlFrom := func(ctx context.Context) (string, error) {
			v, err := secrets(ctx, spec.WebhookURLSecretRef)
			return strings.TrimSpace(string(v)), err
		}
		u, err := urlFrom(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := parseURL(u); err != nil {
			return nil, err
		}
		return New(Config{URLFrom: urlFrom, Cluster: name, Client: &http.Client{Timeout: requestTimeout}})
	}
}
