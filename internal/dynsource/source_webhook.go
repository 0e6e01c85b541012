package dynsource

import (
	"context"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/mapping"
	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/webhook"
)

// sourcesLabel is the endpoint label of every webhook source in the
// intake's own metrics; per-source series are this package's.
const sourcesLabel = "sources"

// mediaTypes a webhook source reads: JSON, and the CloudEvents JSON
// formats (structured and batched), which another zen-watcher's webhook
// output sends to a hub.
var mediaTypes = []string{"application/json", "application/cloudevents+json", "application/cloudevents-batch+json"}

// webhook configures src's endpoint on this replica. A spec that cannot
// run answers 503 until it is fixed; a Secret that cannot be read for a
// passing reason keeps what runs, and is retried.
func (c *Controller) webhook(ctx context.Context, src *v1alpha1.ZenSource) (verdict, error) {
	key := client.ObjectKeyFromObject(src)
	if c.opts.Watch != nil {
		c.opts.Watch.Remove(key) // the spec may have switched from watch to webhook
	}
	p, limit, v := c.compile(src)
	if v.reason != "" {
		c.unserve(key, v.reason)
		return v, nil
	}
	spec := src.Spec.Webhook
	var tokens, keys []string
	for _, ref := range []struct {
		ref *v1alpha1.SecretKeyRef
		dst *[]string
	}{{spec.Auth.TokenSecretRef, &tokens}, {spec.Auth.HMACSecretRef, &keys}} {
		if ref.ref == nil {
			continue
		}
		val, err := c.opts.Secrets.Get(ctx, key.Namespace, *ref.ref)
		if err != nil {
			v, err := secretErr(err)
			if err == nil {
				c.unserve(key, v.reason)
			}
			return v, err
		}
		// Several values, one a line or comma-separated, let a tenant
		// rotate without a gap, as the built-in webhooks' files do.
		*ref.dst = config.SplitSecrets(string(val))
	}
	c.serve(key, src.Generation, tokens, keys, func(auth webhook.Authenticator) webhook.Endpoint {
		return webhook.Endpoint{Name: key.String(), Label: sourcesLabel, MediaTypes: mediaTypes, MaxBodyBytes: limit.body,
			BufferSize: c.opts.Defaults.BufferSize, Parser: p, Auth: auth, Limit: webhook.NewLimiter(limit.rps, limit.burst, time.Now),
			Observe: c.observer(key)}
	})
	return verdict{ready: true}, nil
}

// limits of one source.
type limits struct {
	body  int64
	rps   float64
	burst int
}

// compile checks everything of src's spec that needs no API call.
func (c *Controller) compile(src *v1alpha1.ZenSource) (*parser, limits, verdict) {
	key := client.ObjectKeyFromObject(src)
	if v, ok := checkName(key); !ok {
		return nil, limits{}, v
	}
	spec, d := src.Spec.Webhook, c.opts.Defaults
	lim := limits{body: d.MaxBodyBytes, rps: d.RPS, burst: d.Burst}
	if spec.MaxBodyBytes != nil {
		lim.body = spec.MaxBodyBytes.Value()
		if lim.body <= 0 || lim.body > d.MaxBodyBytes {
			return nil, limits{}, notReady(v1alpha1.ReasonNotAllowed, "maxBodyBytes %s: want more than 0 and at most %d (SOURCE_MAX_BODY_BYTES)", spec.MaxBodyBytes, d.MaxBodyBytes)
		}
	}
	if rl := spec.RateLimit; rl != nil {
		lim.rps, lim.burst = float64(rl.RPS), int(rl.Burst)
		if lim.burst == 0 {
			lim.burst = max(1, int(rl.RPS))
		}
	}
	prog, err := mapping.Compile(src.Spec.Mapping, mapping.VarItem)
	if err != nil {
		return nil, limits{}, notReady(v1alpha1.ReasonInvalidMapping, "%v", err)
	}
	items, err := mapping.CompileItems(spec.Items)
	if err != nil {
		return nil, limits{}, notReady(v1alpha1.ReasonInvalidMapping, "%v", err)
	}
	var schema *jsonschema.Schema
	if spec.Schema != nil && len(spec.Schema.Raw) > 0 {
		if schema, err = compileSchema(spec.Schema.Raw); err != nil {
			return nil, limits{}, notReady(v1alpha1.ReasonInvalidSchema, "%v", err)
		}
	}
	ms := mapping.Source{Namespace: key.Namespace, Name: key.Name, AnyNamespace: key.Namespace == c.opts.HomeNamespace}
	return &parser{src: ms, schema: schema, items: items, prog: prog}, lim, verdict{}
}

// serve routes key to a handler for generation gen with these
// credentials: a new handler for a new generation, new credentials
// pushed into the running one otherwise.
func (c *Controller) serve(key types.NamespacedName, gen int64, tokens, keys []string, build func(webhook.Authenticator) webhook.Endpoint) {
	c.mu.Lock()
	l := c.live[key]
	if l == nil {
		l = &live{generation: -1}
		c.live[key] = l
	}
	var auth webhook.AnyOf
	switch {
	case tokens == nil:
		l.tokens = nil
	case l.tokens == nil:
		l.tokens = webhook.NewTokens(tokens)
	default:
		l.tokens.Set(tokens)
	}
	switch {
	case keys == nil:
		l.hmac = nil
	case l.hmac == nil:
		l.hmac = webhook.NewHMAC(keys, c.opts.Defaults.HMACMaxSkew, time.Now)
		l.hmac.UseNonces(c.opts.Nonces)
	default:
		l.hmac.SetKeys(keys)
	}
	auth.Tokens, auth.HMAC = l.tokens, l.hmac
	fresh := l.handler == nil || l.generation != gen
	var h *webhook.Handler
	if fresh {
		h = c.opts.Intake.Add(build(auth))
		l.handler, l.generation = h, gen
	}
	c.mu.Unlock()
	if fresh {
		if old := c.opts.Endpoints.set(key, h, ""); old != nil {
			old.Remove()
		}
	}
}

// unserve answers 503 for key until its spec is fixed.
func (c *Controller) unserve(key types.NamespacedName, reason string) {
	c.mu.Lock()
	if l := c.live[key]; l != nil {
		l.handler = nil
	}
	c.mu.Unlock()
	if old := c.opts.Endpoints.set(key, nil, reason); old != nil {
		old.Remove()
	}
}

// observer counts what each accepted body of key held.
func (c *Controller) observer(key types.NamespacedName) func(source.Batch, int) {
	return func(b source.Batch, accepted int) {
		m := c.opts.Metrics
		m.item(key, outcomeReceived, b.Items)
		m.item(key, outcomeStored, accepted)
		m.item(key, outcomeFiltered, b.Dropped[mapping.ReasonFiltered])
		for _, e := range b.Rejected {
			m.item(key, "rejected:"+e.Reason, 1)
		}
		c.opts.Counters.Add(key, int64(b.Items), int64(accepted), int64(len(b.Rejected)), time.Now())
	}
}
