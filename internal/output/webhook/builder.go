package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/output"
)

// requestTimeout bounds one request to a receiver: a hub that hangs holds
// up its own output only, and is retried.
const requestTimeout = 30 * time.Second

// Builder makes the notifier of a ZenOutput's spec.webhook: batched
// CloudEvents from the cluster cluster names, signed with the key of
// hmacSecretRef and carrying the token of tokenSecretRef. The Secrets are
// read now, so that a missing or forbidden one is the output's Ready
// reason, and again at every send, so that a rotation applies at once. A
// Secret holding several values (one a line, or comma-separated, as a
// zen-watcher intake accepts for rotation) signs with the first.
func Builder(cluster func(context.Context) (string, error)) output.Builder {
	return func(ctx context.Context, o *v1alpha1.ZenOutput, secrets output.Secrets) (output.Notifier, error) {
		spec := o.Spec.Webhook
		if spec == nil {
			return nil, errors.New("spec.webhook is not set")
		}
		name, err := cluster(ctx)
		if err != nil {
			return nil, err
		}
		read := func(ctx context.Context, ref *v1alpha1.SecretKeyRef) (string, error) {
			if ref == nil {
				return "", nil
			}
			v, err := secrets(ctx, *ref)
			if err != nil {
				return "", err
			}
			values := config.SplitSecrets(string(v))
			if len(values) == 0 {
				return "", fmt.Errorf("key %q of Secret %s holds no value", ref.Key, ref.Name)
			}
			return values[0], nil
		}
		creds := func(ctx context.Context) ([]byte, string, error) {
			key, err := read(ctx, spec.HMACSecretRef)
			if err != nil {
				return nil, "", err
			}
			token, err := read(ctx, spec.TokenSecretRef)
			return []byte(key), token, err
		}
		if _, _, err := creds(ctx); err != nil {
			return nil, err
		}
		return New(Config{URL: spec.URL, Headers: spec.Headers, Cluster: name, Batch: true, Credentials: creds,
			Client: &http.Client{Timeout: requestTimeout}})
	}
}
