package adminauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/util/wait"
	authenticationv1 "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authorizationv1 "k8s.io/client-go/kubernetes/typed/authorization/v1"

	"github.com/kube-zen/zen-watcher/internal/webhook"
)

// Group is the API group admin calls are authorized in. Nothing serves
// it: RBAC rules may name resources no API server knows.
const Group = "zen.kube-zen.io"

// Review tuning, as the API server's own delegating options have it: a token revoked, or a binding removed, takes effect
// within cacheTTL.
const (
	cacheTTL      = 10 * time.Second
	reviewTimeout = 10 * time.Second
)

// reviewBackoff retries a review that failed to reach the API server:
// three tries within about two seconds, then the caller gets 503.
var reviewBackoff = wait.Backoff{Duration: 500 * time.Millisecond, Factor: 1.5, Jitter: 0.2, Steps: 3}

// Options are what a Guard needs.
type Options struct {
	// Authentication and Authorization create TokenReviews and
	// SubjectAccessReviews; a clientset's AuthenticationV1() and
	// AuthorizationV1() fit.
	Authentication authenticationv1.AuthenticationV1Interface
	Authorization  authorizationv1.AuthorizationV1Interface
	// Namespace is zen-watcher's own (POD_NAMESPACE): the namespace of the
	// resource attributes, so a RoleBinding there grants the admin API.
	Namespace string
	// WebhookToken reports whether a bearer token is a webhook credential;
	// such a token is refused without a review. Nil refuses none this way.
	WebhookToken func(token string) bool
	// Registerer receives the guard's metrics.
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// Guard authenticates and authorizes requests before its handlers run.
type Guard struct {
	reviews      *reviewer
	namespace    string
	webhookToken func(string) bool
	decisions    *prometheus.CounterVec
	log          *slog.Logger
}

// New builds a Guard that asks the cluster with TokenReviews and
// SubjectAccessReviews.
func New(opts Options) (*Guard, error) {
	if opts.Authentication == nil || opts.Authorization == nil {
		return nil, errors.New("admin guard: the TokenReview and SubjectAccessReview clients are required")
	}
	g := &Guard{reviews: newReviewer(opts.Authentication, opts.Authorization), namespace: opts.Namespace, webhookToken: opts.WebhookToken, log: opts.Logger,
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_admin_requests_total",
			Help: "Requests to the admin API and guarded /metrics, by operation and outcome (allowed, unauthenticated, forbidden, unavailable).",
		}, []string{"operation", "outcome"})}
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(g.decisions)
	}
	return g, nil
}

// Resource guards h with a resource check: the caller needs verb on
// resource (and subresource) in group zen.kube-zen.io, in the Guard's
// namespace. operation names the call in metrics and logs.
func (g *Guard) Resource(operation, verb, resource, subresource string, h http.Handler) http.Handler {
	return g.guard(operation, h, attributes{resource: true, verb: verb, group: Group, version: "v1",
		namespace: g.namespace, kind: resource, subresource: subresource})
}

// NonResource guards h with a non-resource URL check: the caller needs
// verb on path, as for the API server's own /metrics.
func (g *Guard) NonResource(operation, verb, path string, h http.Handler) http.Handler {
	return g.guard(operation, h, attributes{verb: verb, path: path})
}

// Reasons of refused requests, in problem bodies and logs.
const (
	reasonMissingToken = "missing-token"
	reasonWebhookToken = "webhook-token"
	reasonInvalidToken = "invalid-token"
	reasonForbidden    = "forbidden"
	reasonUnavailable  = "authorization-unavailable"
)

// Outcomes, the outcome label of zen_watcher_admin_requests_total.
const (
	outcomeAllowed         = "allowed"
	outcomeUnauthenticated = "unauthenticated"
	outcomeForbidden       = "forbidden"
	outcomeUnavailable     = "unavailable"
)

func (g *Guard) guard(operation string, h http.Handler, a attributes) http.Handler {
	// Touch every label pair once, so dashboards see zeros, not gaps.
	for _, o := range []string{outcomeAllowed, outcomeUnauthenticated, outcomeForbidden, outcomeUnavailable} {
		g.decisions.WithLabelValues(operation, o)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, reason := bearerToken(r)
		switch {
		case reason != "":
			g.refuse(w, r, operation, http.StatusUnauthorized, reason, "", "send a Kubernetes bearer token: 'Authorization: Bearer <token>', e.g. from kubectl create token")
			return
		case g.webhookToken != nil && g.webhookToken(token):
			g.refuse(w, r, operation, http.StatusUnauthorized, reasonWebhookToken, "", "a webhook token does not open the admin API; send a Kubernetes bearer token")
			return
		}
		u, ok, err := g.reviews.authenticate(r.Context(), token)
		switch {
		case err != nil && r.Context().Err() == nil:
			g.log.Warn("token review failed", "operation", operation, "error", err.Error())
			w.Header().Set("Retry-After", "5")
			g.refuse(w, r, operation, http.StatusServiceUnavailable, reasonUnavailable, "", "the TokenReview could not be made; retry later")
			return
		case !ok:
			g.refuse(w, r, operation, http.StatusUnauthorized, reasonInvalidToken, "", "the cluster's TokenReview did not accept the bearer token")
			return
		}
		allowed, why, err := g.reviews.authorize(r.Context(), u, a)
		user := u.Username
		switch {
		case allowed:
			g.decisions.WithLabelValues(operation, outcomeAllowed).Inc()
			h.ServeHTTP(w, r)
		case err != nil && !errors.Is(err, context.Canceled):
			g.log.Warn("subject access review failed", "operation", operation, "user", user, "error", err.Error())
			w.Header().Set("Retry-After", "5")
			g.refuse(w, r, operation, http.StatusServiceUnavailable, reasonUnavailable, user, "the SubjectAccessReview could not be made; retry later")
		default:
			detail := fmt.Sprintf("%s may not %s", user, a.describe())
			if why != "" {
				detail += ": " + why
			}
			g.refuse(w, r, operation, http.StatusForbidden, reasonForbidden, user, detail)
		}
	})
}

// describe says what a check needs, in RBAC's words, so the problem tells
// an operator which rule to grant.
func (a attributes) describe() string {
	if !a.resource {
		return fmt.Sprintf("%s the non-resource URL %s", a.verb, a.path)
	}
	res := a.kind
	if a.subresource != "" {
		res += "/" + a.subresource
	}
	return fmt.Sprintf("%s %s.%s in namespace %s", a.verb, res, a.group, a.namespace)
}

// bearerToken reads the one Authorization: Bearer header, or says why not.
func bearerToken(r *http.Request) (string, string) {
	values := r.Header.Values("Authorization")
	if len(values) == 0 {
		return "", reasonMissingToken
	}
	scheme, token, ok := strings.Cut(values[0], " ")
	token = strings.TrimSpace(token)
	if len(values) > 1 || !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", reasonInvalidToken
	}
	return token, ""
}

// refuse counts, logs and answers a refused request with a problem body.
func (g *Guard) refuse(w http.ResponseWriter, r *http.Request, operation string, status int, reason, user, detail string) {
	outcome := map[int]string{http.StatusUnauthorized: outcomeUnauthenticated, http.StatusForbidden: outcomeForbidden}[status]
	if outcome == "" {
		outcome = outcomeUnavailable
	}
	g.decisions.WithLabelValues(operation, outcome).Inc()
	// Debug, not Info: anyone who reaches the port could otherwise fill the
	// log; the counter has every refusal, and the answer says what is missing.
	g.log.Debug("admin request refused", "operation", operation, "status", status, "reason", reason, "user", user, "remote", r.RemoteAddr)
	webhook.WriteProblem(w, status, reason, detail)
}
